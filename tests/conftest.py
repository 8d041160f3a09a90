"""Kit-wide test settings: Hypothesis profiles for shared, noisy machines."""

import atexit
import os
import shutil
import tempfile

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

# Tests never write into the user's home nor read a ./var of the working directory: every default
# data directory (ehc.userdirs) points into one temporary directory for the whole run, subprocesses
# included (they inherit the environment).
_HOME = tempfile.mkdtemp(prefix="ehc-test-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["EHC_NODE_HOME"] = os.path.join(_HOME, "node")
os.environ["EHC_FRONTEND_HOME"] = os.path.join(_HOME, "frontend")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "xdg-data")
