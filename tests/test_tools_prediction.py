"""Plain pytest: the empirical-Bayes predicted payment date (tools/prediction.py)."""

import math
import random

from hypothesis import example, given
from hypothesis import strategies as st

from ..tools.prediction import RANGE_Z, Prior, Summary, estimate_prior, predict
from .pure import odoo_test_case

PRIOR = Prior(mean=10.0, within_var=64.0, between_var=16.0, count=500)  # k = 4

days = st.floats(min_value=-60, max_value=365, allow_nan=False)
variances = st.floats(min_value=0.0, max_value=10_000, allow_nan=False)
counts = st.integers(min_value=0, max_value=10_000)


def test_summary_of_values():
    summary = Summary.of([2, 4, 9])
    assert summary.n == 3
    assert summary.mean == 5
    assert summary.var == ((2 - 5) ** 2 + (4 - 5) ** 2 + (9 - 5) ** 2) / 2
    assert Summary.of([]) == Summary(0)
    assert Summary.of([7]) == Summary(1, 7.0, 0.0)


def test_no_history_gives_the_company_mean():
    estimate = predict(Summary(0), PRIOR)
    assert estimate.weight == 0
    assert estimate.days == 10.0
    # Unknown customer: its spread plus the spread of the customers' means.
    assert math.isclose(estimate.sd, math.sqrt(64 + 16))


def test_weight_is_n_over_n_plus_k():
    # k = within / between = 64 / 16 = 4: 4 invoices weigh as much as the company.
    estimate = predict(Summary(4, 30.0, 50.0), PRIOR)
    assert math.isclose(estimate.weight, 0.5)
    assert math.isclose(estimate.days, 0.5 * 30 + 0.5 * 10)
    assert math.isclose(estimate.sd, math.sqrt(64 + 0.5 * 16))
    assert math.isclose(estimate.high - estimate.days, RANGE_Z * estimate.sd)


def test_large_history_gives_the_customer_mean():
    estimate = predict(Summary(100_000, 30.0, 50.0), PRIOR)
    assert math.isclose(estimate.days, 30.0, abs_tol=0.01)


def test_customers_alike_gives_the_company_mean():
    prior = Prior(mean=5.0, within_var=25.0, between_var=0.0, count=100)
    assert predict(Summary(50, 40.0, 1.0), prior).days == 5.0


@given(counts, days, days, variances, variances)
def test_estimate_lies_between_company_and_customer(n, mean, company, within, between):
    prior = Prior(mean=company, within_var=within, between_var=between, count=n + 1)
    estimate = predict(Summary(n, mean, 0.0), prior)
    assert 0.0 <= estimate.weight <= 1.0
    assert min(mean, company) - 1e-6 <= estimate.days <= max(mean, company) + 1e-6
    assert estimate.low <= estimate.days <= estimate.high


@given(counts, days, variances, variances, st.floats(min_value=0.1, max_value=1000))
# Found by Odoo's runner: a weight rounding to 1.0 had lost the company's share.
@example(n=512, mean=0.0, within=1e-12, between=1.0, more=17.0)
def test_range_widens_with_variance(n, mean, within, between, more):
    narrow = predict(Summary(n, mean), Prior(10.0, within, between, 100))
    wide_within = predict(Summary(n, mean), Prior(10.0, within + more, between, 100))
    assert wide_within.high - wide_within.low > narrow.high - narrow.low - 1e-9
    wide_between = predict(Summary(n, mean), Prior(10.0, within, between + more, 100))
    # Between-customer spread matters only while the customer's own history is short.
    assert wide_between.high - wide_between.low >= narrow.high - narrow.low - 1e-9


@given(st.integers(min_value=0, max_value=500), days, days)
def test_open_invoice_is_not_predicted_before_today(n, mean, past_due):
    estimate = predict(Summary(n, mean, 100.0), PRIOR, days_past_due=past_due)
    assert estimate.days >= past_due - 1e-6
    assert past_due - 1e-6 <= estimate.low <= estimate.days <= estimate.high


def test_conditioning_moves_an_overdue_estimate_later():
    free = predict(Summary(10, 5.0), PRIOR)
    # Not yet due by 20 days: hardly any change.
    assert abs(predict(Summary(10, 5.0), PRIOR, days_past_due=-20).days - free.days) < 0.1
    late = predict(Summary(10, 5.0), PRIOR, days_past_due=30)
    assert late.days > 30  # already 30 days late: expected some days later still
    assert late.days < 30 + free.sd * 2


def test_prior_recovers_the_generating_variances():
    rng = random.Random(7)
    summaries = []
    for _ in range(400):
        theta = rng.gauss(12.0, 6.0)  # tau2 = 36
        summaries.append(Summary.of([rng.gauss(theta, 10.0) for _ in range(12)]))  # 100
    prior = estimate_prior(summaries)
    assert abs(prior.mean - 12.0) < 1.0
    assert abs(prior.within_var - 100.0) < 8.0
    assert abs(prior.between_var - 36.0) < 8.0
    assert prior.count == 400 * 12


def test_prior_of_nothing():
    assert estimate_prior([]) == Prior()
    assert predict(Summary(0), estimate_prior([])).days == 0.0


def test_no_range_while_the_history_tells_no_spread():
    """One paid invoice in the whole company: a date, but no 80 % range."""
    prior = estimate_prior([Summary.of([12])])
    estimate = predict(Summary.of([12]), prior, days_past_due=-5)
    assert estimate.days == 12
    assert not estimate.has_range
    spread = estimate_prior([Summary.of([0, 10]), Summary.of([20, 40])])
    assert predict(Summary.of([0, 10]), spread, days_past_due=-5).has_range


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
