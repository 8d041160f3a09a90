"""A request captured before a node restart must not replay after it (TENCENT-006, QINGHAI-002,
SICHUAN-004): a platform whose replay cache lives in its process forgets every request id when it
restarts. The envelope suites restart the reference node the kit started (the same store, ports and
configuration: conformance_tests.adapters.node.restart_reference); they cannot restart a vendor's
platform, and say so (docs/certification.md, 'What a PASS does not cover')."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

#: the captured request is stamped this long before it is sent: inside the replay window, and
#: (stamps are whole seconds) before the restarted process's start minus its tolerance (1 s)
CAPTURED_AGO_S = 2.2


def captured_clock() -> float:
    return time.time() - CAPTURED_AGO_S


def reference_restart(dut: Any) -> Callable[[], None]:
    """A function that restarts the reference node behind ``dut``; skips for a vendor's platform."""
    from conformance_tests.adapters.node import restart_reference

    owner = getattr(dut, "_owner", None)
    running = getattr(owner, "running", owner)
    if running is None or not hasattr(running, "node"):
        pytest.skip(
            "replay across a restart: the kit cannot restart a vendor's platform; it checks this on "
            "the reference node it starts (docs/certification.md, 'What a PASS does not cover')"
        )
    # the captured request must be younger than the running process (minus its tolerance), or
    # the node refuses it before the restart already: wait that long after its start, if need be
    started = float(getattr(running.node, "started", 0.0))
    time.sleep(max(0.0, started + CAPTURED_AGO_S - 0.5 - time.time()))
    return lambda: restart_reference(running)
