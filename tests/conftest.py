"""Kit-wide test settings: Hypothesis profiles for shared, noisy machines."""

import os

from hypothesis import HealthCheck, settings

# No deadlines: the machines are shared and noisy, and a deadline is a timing assertion.
settings.register_profile(
    "default",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "certification",
    parent=settings.get_profile("default"),
    derandomize=True,
)
settings.load_profile(os.environ.get("EHC_HYPOTHESIS_PROFILE", "default"))
