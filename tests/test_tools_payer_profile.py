"""Plain pytest: a customer's payer profile and risk band (tools/payer_profile.py)."""

from hypothesis import given
from hypothesis import strategies as st

from ..tools.payer_profile import (
    BANDS,
    REASON_FEW,
    REASON_GOOD,
    REASON_LATE,
    REASON_NO_HISTORY,
    REASON_ON_TIME,
    REASON_PROMISES,
    REASON_TREND,
    History,
    payer_profile,
)
from .pure import odoo_test_case

lateness = st.floats(min_value=-30, max_value=400, allow_nan=False)


@st.composite
def histories(draw):
    paid = draw(st.integers(min_value=1, max_value=200))
    recent = draw(st.integers(min_value=0, max_value=paid))
    return History(
        paid_count=paid,
        mean_late=draw(lateness),
        on_time_count=draw(st.integers(min_value=0, max_value=paid)),
        recent_count=recent,
        recent_mean=draw(st.none() | lateness),
        before_mean=draw(st.none() | lateness),
        promises_kept=draw(st.integers(min_value=0, max_value=20)),
        promises_broken=draw(st.integers(min_value=0, max_value=20)),
    )


def _rank(profile):
    return BANDS.index(profile.band)


def _codes(profile):
    return [code for code, _params in profile.reasons]


def test_no_history_no_band():
    profile = payer_profile(History())
    assert profile.band is None
    assert _codes(profile) == [REASON_NO_HISTORY]


def test_prompt_payer_is_a():
    profile = payer_profile(History(paid_count=10, mean_late=1.0, on_time_count=9))
    assert profile.band == "A"
    assert _codes(profile) == [REASON_GOOD]
    assert profile.on_time_share == 0.9


def test_each_reading_sets_the_band_with_its_reason():
    # 20 days late on average: C; 50 % on time: C; both said.
    profile = payer_profile(History(paid_count=10, mean_late=20.0, on_time_count=5))
    assert profile.band == "C"
    assert _codes(profile) == [REASON_LATE, REASON_ON_TIME]
    assert profile.reasons[0][1] == {"days": 20.0}
    # Prompt, but 1 promise kept out of 4: C for the promises only.
    profile = payer_profile(
        History(paid_count=10, mean_late=0.0, on_time_count=10, promises_kept=1, promises_broken=3)
    )
    assert profile.band == "C"  # 25 % kept: the lower limit of C
    assert _codes(profile) == [REASON_PROMISES]
    assert profile.promises_kept_share == 0.25


def test_worsening_trend_costs_a_band():
    base = {"paid_count": 10, "mean_late": 4.0, "on_time_count": 9, "recent_count": 4}
    steady = payer_profile(History(**base, recent_mean=5.0, before_mean=3.0))
    worse = payer_profile(History(**base, recent_mean=14.0, before_mean=1.0))
    assert (steady.band, worse.band) == ("A", "B")
    assert REASON_TREND in _codes(worse)
    assert worse.trend == 13.0
    # Too few recent invoices to speak of a trend.
    few = payer_profile(History(**{**base, "recent_count": 1}, recent_mean=40.0, before_mean=1.0))
    assert few.trend is None and few.band == "A"


def test_few_invoices_are_flagged():
    profile = payer_profile(History(paid_count=2, mean_late=0.0, on_time_count=2))
    assert REASON_FEW in _codes(profile)


@given(histories(), lateness, lateness)
def test_band_monotone_in_lateness(history, late_a, late_b):
    low, high = sorted((late_a, late_b))
    better = payer_profile(History(**{**history.__dict__, "mean_late": low}))
    worse = payer_profile(History(**{**history.__dict__, "mean_late": high}))
    assert _rank(better) <= _rank(worse)


@given(histories(), st.integers(min_value=0, max_value=200))
def test_band_monotone_in_punctuality(history, more_on_time):
    more = min(history.on_time_count + more_on_time, history.paid_count)
    punctual = payer_profile(History(**{**history.__dict__, "on_time_count": more}))
    assert _rank(punctual) <= _rank(payer_profile(history))


@given(histories(), st.integers(min_value=1, max_value=20))
def test_a_broken_promise_never_improves_the_band(history, broken):
    worse = History(**{**history.__dict__, "promises_broken": history.promises_broken + broken})
    assert _rank(payer_profile(worse)) >= _rank(payer_profile(history))


@given(histories())
def test_every_band_has_reasons(history):
    profile = payer_profile(history)
    assert profile.band in BANDS
    assert profile.reasons
    if profile.band != "A":
        assert set(_codes(profile)) - {REASON_FEW, REASON_GOOD}


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
