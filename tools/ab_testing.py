"""A/B variants of a level's email template (issue #14), as pure functions (no ORM).

Customers are split between variant A and B at random but stably: a hash of the
customer and the level, so that a customer always gets the same variant of a level
(a rerun, a second reminder) and the split does not depend on the order of a run.
A difference between the variants is reported only when a two-proportion z-test says
it is significant, with enough steps for the normal approximation to hold.
"""

import hashlib
from math import erfc, sqrt
from typing import NamedTuple

VARIANTS = ("a", "b")
# Below this many expected successes or failures per variant, the z-test's normal
# approximation is not trusted (the usual rule of thumb): no verdict.
MIN_EXPECTED = 5


def assign_variant(partner_id, level_id):
    """'a' or 'b' for this customer at this level: stable, about half each.

    SHA-256 rather than Python's hash(): the same in every process and version.
    """
    digest = hashlib.sha256(f"account_dunning.ab:{partner_id}:{level_id}".encode()).digest()
    return VARIANTS[digest[0] & 1]


class ZTest(NamedTuple):
    z: float  # > 0 when B's proportion is higher
    p_value: float  # two-sided
    share_a: float
    share_b: float


def two_proportion_z_test(success_a, total_a, success_b, total_b):
    """Two-sided two-proportion z-test (pooled variance); None without data."""
    if total_a <= 0 or total_b <= 0:
        return None
    if not (0 <= success_a <= total_a and 0 <= success_b <= total_b):
        raise ValueError("successes must be between 0 and the number of trials")
    share_a = success_a / total_a
    share_b = success_b / total_b
    pooled = (success_a + success_b) / (total_a + total_b)
    variance = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if variance <= 0:  # all or none succeeded in both: no difference to test
        return ZTest(0.0, 1.0, share_a, share_b)
    z = (share_b - share_a) / sqrt(variance)
    return ZTest(z, erfc(abs(z) / sqrt(2)), share_a, share_b)


def ab_winner(success_a, total_a, success_b, total_b, alpha=0.05):
    """'a' or 'b' when its share is significantly higher at level ``alpha``, else None
    (no data, too few steps for the test, or no significant difference)."""
    test = two_proportion_z_test(success_a, total_a, success_b, total_b)
    if test is None:
        return None
    pooled = (success_a + success_b) / (total_a + total_b)
    for total in (total_a, total_b):
        if min(total * pooled, total * (1 - pooled)) < MIN_EXPECTED:
            return None
    if test.p_value >= alpha:
        return None
    return "b" if test.z > 0 else "a"
