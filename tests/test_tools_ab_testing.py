"""Plain pytest and hypothesis: A/B assignment and the two-proportion z-test."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.ab_testing import ab_winner, assign_variant, two_proportion_z_test
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

ids = st.integers(min_value=1, max_value=10**9)


@given(ids, ids)
def test_assignment_is_stable(partner_id, level_id):
    assert assign_variant(partner_id, level_id) in ("a", "b")
    assert assign_variant(partner_id, level_id) == assign_variant(partner_id, level_id)


def test_assignment_is_balanced_and_depends_on_the_level():
    counts = Counter(assign_variant(partner_id, 7) for partner_id in range(1, 2001))
    # Binomial(2000, 0.5): 1000 +- 3 sigma (67).
    assert 933 <= counts["b"] <= 1067
    other_level = [assign_variant(partner_id, 8) for partner_id in range(1, 2001)]
    same = sum(
        assign_variant(partner_id, 7) == variant
        for partner_id, variant in zip(range(1, 2001), other_level, strict=True)
    )
    assert 933 <= same <= 1067, "each level splits the customers anew"


def test_z_test_known_value():
    # 30/100 vs 50/100: pooled 0.4, se = sqrt(0.4 x 0.6 x 0.02) = 0.069282,
    # z = 0.2 / 0.069282 = 2.8868, two-sided p = 0.00389.
    test = two_proportion_z_test(30, 100, 50, 100)
    assert test.z == pytest.approx(2.8868, abs=1e-4)
    assert test.p_value == pytest.approx(0.00389, abs=1e-5)
    assert (test.share_a, test.share_b) == (0.3, 0.5)
    assert ab_winner(30, 100, 50, 100) == "b"
    assert ab_winner(50, 100, 30, 100) == "a"


def test_no_verdict_without_significance_or_data():
    # 40/100 vs 50/100: z = 1.42, p = 0.155: not significant at 5 %.
    assert two_proportion_z_test(40, 100, 50, 100).p_value == pytest.approx(0.155, abs=1e-3)
    assert ab_winner(40, 100, 50, 100) is None
    assert two_proportion_z_test(0, 0, 3, 10) is None
    assert ab_winner(0, 0, 3, 10) is None
    # 1/3 vs 3/3 looks different but is far too small to say so.
    assert ab_winner(1, 3, 3, 3) is None
    assert two_proportion_z_test(5, 5, 8, 8).p_value == 1.0


@st.composite
def samples(draw):
    total_a = draw(st.integers(min_value=1, max_value=5000))
    total_b = draw(st.integers(min_value=1, max_value=5000))
    return (
        draw(st.integers(min_value=0, max_value=total_a)),
        total_a,
        draw(st.integers(min_value=0, max_value=total_b)),
        total_b,
    )


@given(samples())
def test_z_test_properties(sample):
    success_a, total_a, success_b, total_b = sample
    test = two_proportion_z_test(*sample)
    assert 0.0 <= test.p_value <= 1.0
    swapped = two_proportion_z_test(success_b, total_b, success_a, total_a)
    assert swapped.z == pytest.approx(-test.z)
    assert swapped.p_value == pytest.approx(test.p_value)
    # The sign follows the shares; a verdict names the higher share.
    if test.share_b > test.share_a:
        assert test.z > 0
    winner = ab_winner(*sample)
    if winner == "b":
        assert test.share_b > test.share_a and test.p_value < 0.05
    if winner == "a":
        assert test.share_a > test.share_b and test.p_value < 0.05


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_equal_shares_never_significant(total, data):
    success = data.draw(st.integers(min_value=0, max_value=total))
    test = two_proportion_z_test(success, total, success * 2, total * 2)
    assert test.z == pytest.approx(0.0, abs=1e-9)
    assert ab_winner(success, total, success * 2, total * 2) is None


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
