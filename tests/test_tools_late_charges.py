"""Plain pytest + hypothesis: statutory interest and compensation, without the ORM."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.late_charges import (
    LateChargeError,
    accrued_interest,
    late_charges,
    reference_rate,
    round_amount,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

D = date.fromisoformat

# Published figures (the same as data/dunning_reference_rate_data.xml).
ECB = [(D("2016-03-16"), 0.0), (D("2022-12-21"), 2.5), (D("2023-06-21"), 4.0)]
BOE = [(D("2017-11-02"), 0.5), (D("2022-12-15"), 3.5), (D("2023-06-22"), 5.0)]
DE_BASE = [(D("2024-01-01"), 3.62), (D("2024-07-01"), 3.37)]
FR_LEGAL = [(D("2024-07-01"), 4.92), (D("2025-01-01"), 3.71)]


def charge(rule, history, due, as_of, **kw):
    return late_charges(rule, history, D(due), D(as_of), **kw)


# (name, rule, history, due, as of, keyword arguments, interest, compensation)
WORKED_CASES = [
    # UK government's example (gov.uk "Late commercial payments: charging interest"):
    # GBP 1,000 at base 0.5 % + 8 % = 8.5 %: GBP 85 a year, 85 / 365 = GBP 0.23 a day.
    # Base rate on 31 Dec 2017 was 0.5 %, so it applies to January-June 2018.
    ("uk gov example, 1 day", "uk_late_payment", [(D("2018-01-01"), 1000)],
     "2018-01-31", "2018-02-01", {"rates": BOE, "amount": 1000}, 0.23, 70.0),
    # 30 days: 1000 x 8.5 % x 30 / 365 = 2550 / 365 = 6.986... -> 6.99
    ("uk gov example, 30 days", "uk_late_payment", [(D("2018-01-01"), 1000)],
     "2018-01-31", "2018-03-02", {"rates": BOE, "amount": 1000}, 6.99, 70.0),
    # UK across 1 July 2023, GBP 12,000: Jan-Jun uses the base rate of 31 Dec 2022
    # (3.5 %, although it rose to 5 % on 22 June): 21-30 June = 10 days at 11.5 %
    # = 13800 / 365; Jul-Dec uses 30 June's 5 %: 1-10 July = 10 days at 13 %
    # = 15600 / 365; total 29400 / 365 = 80.547... -> 80.55; fixed sum GBP 100.
    ("uk half-year boundary", "uk_late_payment", [(D("2023-05-01"), 12000)],
     "2023-06-20", "2023-07-10", {"rates": BOE, "amount": 12000}, 80.55, 100.0),
    # EU, EUR 10,000 due 31 May 2023, EUR 4,000 paid on 15 July 2023:
    # H1 2023 = ECB 2.5 % (1 Jan) + 8 = 10.5 %: 1-30 June, 30 days on 10,000
    #   = 10000 x 0.105 x 30 = 31500 (/365)
    # H2 2023 = ECB 4.0 % (1 Jul) + 8 = 12 %: 1-15 July (payment day included),
    #   15 days on 10,000 = 18000; 16 July-31 August, 47 days on 6,000 = 33840
    # total 83340 / 365 = 228.328... -> 228.33; EUR 40.
    ("eu partial payment across half-years", "eu_late_payment",
     [(D("2023-05-01"), 10000), (D("2023-07-15"), 6000)],
     "2023-05-31", "2023-08-31", {"rates": ECB, "amount": 10000}, 228.33, 40.0),
    # EU consumer: the directive does not apply.
    ("eu consumer", "eu_late_payment", [(D("2023-05-01"), 10000)],
     "2023-05-31", "2023-08-31", {"rates": ECB, "is_business": False}, 0.0, 0.0),
    # DE business, EUR 5,000 due 15 June 2024: 16-30 June, 15 days at 3.62 + 9
    # = 12.62 % -> 5000 x 0.1262 x 15 = 9465; 1-31 July, 31 days at 3.37 + 9 = 12.37 %
    # -> 5000 x 0.1237 x 31 = 19173.5; 28638.5 / 365 = 78.461... -> 78.46; EUR 40.
    ("de business", "de_bgb", [(D("2024-06-01"), 5000)],
     "2024-06-15", "2024-07-31", {"rates": DE_BASE}, 78.46, 40.0),
    # DE consumer: + 5 points: 5000 x 0.0862 x 15 = 6465; 5000 x 0.0837 x 31 = 12973.5;
    # 19438.5 / 365 = 53.256... -> 53.26; no lump sum.
    ("de consumer", "de_bgb", [(D("2024-06-01"), 5000)],
     "2024-06-15", "2024-07-31", {"rates": DE_BASE, "is_business": False}, 53.26, 0.0),
    # FR, EUR 2,000 due 31 Dec 2024: H1 2025 legal rate 3.71 % x 3 = 11.13 %;
    # 1 Jan-31 Mar 2025 = 90 days: 2000 x 0.1113 x 90 = 20034; / 365 = 54.887... -> 54.89
    ("fr professional", "fr_commerce", [(D("2024-12-01"), 2000)],
     "2024-12-31", "2025-03-31", {"rates": FR_LEGAL}, 54.89, 40.0),
    ("fr consumer", "fr_commerce", [(D("2024-12-01"), 2000)],
     "2024-12-31", "2025-03-31", {"rates": FR_LEGAL, "is_business": False}, 0.0, 0.0),
    # Fixed 10 %, 1,500 for 30 days: 1500 x 0.10 x 30 / 365 = 12.328... -> 12.33
    ("fixed rate", "fixed_rate", [(D("2025-01-01"), 1500)],
     "2025-01-10", "2025-02-09", {"fixed_rate": 10.0}, 12.33, 0.0),
    # Fully paid on 20 Jan: interest 11-20 Jan only (payment day included), 10 days:
    # 1500 x 10 % x 10 = 1500 / 365 = 4.109... -> 4.11
    ("fixed rate paid", "fixed_rate", [(D("2025-01-01"), 1500), (D("2025-01-20"), 0)],
     "2025-01-10", "2025-03-31", {"fixed_rate": 10.0}, 4.11, 0.0),
    # Not late yet: nothing.
    ("on the due date", "eu_late_payment", [(D("2023-05-01"), 10000)],
     "2023-05-31", "2023-05-31", {"rates": ECB, "amount": 10000}, 0.0, 0.0),
    ("none", "none", [(D("2023-05-01"), 10000)], "2023-05-31", "2023-08-31", {}, 0.0, 0.0),
    # From the day after a previous charge: 16 July-31 August on 6,000 at 12 %
    # = 33840 / 365 = 92.712... -> 92.71; the tool still reports the compensation,
    # the caller decides it was already charged.
    ("eu from a date", "eu_late_payment",
     [(D("2023-05-01"), 10000), (D("2023-07-15"), 6000)],
     "2023-05-31", "2023-08-31",
     {"rates": ECB, "amount": 10000, "date_from": D("2023-07-16")}, 92.71, 40.0),
]  # fmt: skip


@pytest.mark.parametrize("case", WORKED_CASES, ids=[case[0] for case in WORKED_CASES])
def test_worked_cases(case):
    _name, rule, history, due, as_of, kw, interest, fixed = case
    result = charge(rule, history, due, as_of, **kw)
    assert result.interest == interest
    assert result.compensation == fixed


@pytest.mark.parametrize(
    ("amount", "fixed"),
    [(999.99, 40.0), (1000.0, 70.0), (9999.99, 70.0), (10000.0, 100.0), (250000.0, 100.0)],
)
def test_uk_fixed_sum_thresholds(amount, fixed):
    result = charge("uk_late_payment", [(D("2023-01-01"), amount)], "2023-01-31",
                    "2023-02-01", rates=BOE, amount=amount)  # fmt: skip
    assert (result.compensation, result.compensation_currency) == (fixed, "GBP")


def test_uk_reference_is_the_rate_of_the_eve():
    # 5 % from 22 June 2023: it sets July-December, not the end of June.
    assert reference_rate("uk_late_payment", D("2023-01-01"), BOE) == Fraction(7, 2)
    assert reference_rate("uk_late_payment", D("2023-07-01"), BOE) == 5
    # The EU reference is the rate in force on the first day.
    assert reference_rate("eu_late_payment", D("2023-07-01"), ECB) == 4


def test_missing_rate_names_the_half_year():
    with pytest.raises(LateChargeError) as caught:
        charge("de_bgb", [(D("2024-06-01"), 5000)], "2024-06-15", "2025-01-05", rates=DE_BASE)
    assert caught.value.code == "missing_rate"
    assert caught.value.params["series"] == "de_base"
    assert caught.value.params["period_start"] == D("2025-01-01")
    assert caught.value.params["period_end"] == D("2025-06-30")
    # A series that changes at any date has no rate before its first record.
    with pytest.raises(LateChargeError):
        charge("eu_late_payment", [(D("2010-01-01"), 100)], "2010-01-31", "2010-02-10",
               rates=ECB)  # fmt: skip
    # Nothing to compute, nothing asked: no error for an invoice not late yet.
    assert charge("de_bgb", [(D("2030-01-01"), 10)], "2030-01-31", "2030-01-31").interest == 0


def test_rounding_is_half_up_at_the_end():
    assert round_amount(Fraction(1, 200)) == 0.01
    assert round_amount(Fraction(1249, 100000)) == 0.01
    assert round_amount(Fraction(5, 1), 0.05) == 5.0
    assert round_amount(Fraction(1, 1000), 1) == 0.0
    # 365 days of 0.001 a day rounds once, not 365 times to zero.
    total = accrued_interest("fixed_rate", [(D("2025-01-01"), 0.365)], D("2025-01-01"),
                             D("2026-01-01"), fixed_rate=100)  # fmt: skip
    assert total == Fraction(365, 1000)


# Properties

RULES = ["eu_late_payment", "uk_late_payment", "de_bgb", "fr_commerce", "fixed_rate"]


def _half_years(first, last):
    day = date(first.year, 1, 1)
    while day <= last:
        yield day
        day = date(day.year + (day.month == 7), 1 if day.month == 7 else 7, 1)


@st.composite
def scenarios(draw):
    """A rule, its rates, an invoice's residual history, its due date."""
    rule = draw(st.sampled_from(RULES))
    # Every half-year of the range gets a record (eve records for the UK). Reference
    # rates may be negative (German base rate 2016-2022) but no annual rate is: the
    # French legal rate (tripled, no points) never was.
    lowest = 0 if rule == "fr_commerce" else -1
    rates = [
        (start - timedelta(days=1) if rule == "uk_late_payment" else start,
         float(draw(st.decimals(lowest, 6, places=2))))
        for start in _half_years(D("2018-01-01"), D("2031-12-31"))
    ]  # fmt: skip
    due = draw(st.dates(D("2019-01-01"), D("2025-12-31")))
    amount = draw(st.decimals(1, 10**6, places=2))
    history = [(due - timedelta(days=30), float(amount))]
    residual = amount
    day = due
    for paid in draw(st.lists(st.decimals(0, 10**5, places=2), max_size=4)):
        day += timedelta(days=draw(st.integers(0, 200)))
        residual = max(residual - paid, 0)
        history.append((day, float(residual)))
    kw = {
        "rates": rates,
        "fixed_rate": float(draw(st.decimals(0, 20, places=2))),
        "is_business": draw(st.booleans()),
    }
    return rule, history, due, kw


@given(scenarios(), st.integers(0, 1500), st.integers(0, 1500))
def test_interest_is_additive_across_periods(scenario, days1, days2):
    rule, history, due, kw = scenario
    d1 = due + timedelta(days=days1)
    d2 = d1 + timedelta(days=days2)
    whole = accrued_interest(rule, history, due, d2, **kw)
    first = accrued_interest(rule, history, due, d1, **kw)
    rest = accrued_interest(rule, history, due, d2, date_from=d1 + timedelta(days=1), **kw)
    assert whole == first + rest


@given(scenarios(), st.integers(0, 1500), st.integers(0, 400))
def test_interest_grows_with_days(scenario, days, more):
    rule, history, due, kw = scenario
    earlier = due + timedelta(days=days)
    later = earlier + timedelta(days=more)
    interest = accrued_interest(rule, history, due, earlier, **kw)
    assert interest >= 0
    assert accrued_interest(rule, history, due, later, **kw) >= interest
    assert (
        late_charges(rule, history, due, later, **kw).interest
        >= late_charges(rule, history, due, earlier, **kw).interest
    )


@given(scenarios(), st.integers(1, 1500), st.decimals(0, 10**5, places=2))
def test_interest_grows_with_amount(scenario, days, extra):
    rule, history, due, kw = scenario
    as_of = due + timedelta(days=days)
    bigger = [(day, residual + float(extra)) for day, residual in history]
    assert late_charges(rule, bigger, due, as_of, **kw).interest >= (
        late_charges(rule, history, due, as_of, **kw).interest
    )


@given(st.decimals(0, 10**6, places=2), st.decimals(0, 10**6, places=2))
def test_uk_fixed_sum_grows_with_amount(low, high):
    low, high = sorted((low, high))
    args = ([(D("2023-01-01"), 1)], "2023-01-31", "2023-03-01")
    small = charge("uk_late_payment", *args, rates=BOE, amount=float(low))
    large = charge("uk_late_payment", *args, rates=BOE, amount=float(high))
    assert large.compensation >= small.compensation


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
