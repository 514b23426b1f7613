"""Hypothesis settings for the property tests: the machines running CI are small and may be
busy, so hypothesis judges examples by their result, not by their speed."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "account_dunning", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("account_dunning")
