"""Error codes of the load-test layer (6xxx)."""

from __future__ import annotations

from ehc.errors import define

LOAD_BAD_TARGET = define("LOAD_BAD_TARGET", 6001, "load", "target must be HOST:PORT, 'echo' or 'reference'")
LOAD_UNKNOWN_SCENARIO = define("LOAD_UNKNOWN_SCENARIO", 6002, "load", "no scenario of that name")
LOAD_BAD_SLO = define("LOAD_BAD_SLO", 6003, "load", "SLO file is malformed")
LOAD_BAD_DURATION = define("LOAD_BAD_DURATION", 6004, "load", "duration must look like 30s, 5m or 1h")
LOAD_TARGET_START_FAILED = define(
    "LOAD_TARGET_START_FAILED", 6005, "load", "the target process did not start"
)
LOAD_RUN_FAILED = define("LOAD_RUN_FAILED", 6006, "load", "the Locust run failed")
LOAD_NO_RUN_DATA = define("LOAD_NO_RUN_DATA", 6007, "load", "directory holds no run data (run.json)")
LOAD_SEED_FAILED = define("LOAD_SEED_FAILED", 6008, "load", "seeding the synthetic population failed")
LOAD_SLO_BROKEN = define("LOAD_SLO_BROKEN", 6010, "load", "at least one service-level objective was broken")
