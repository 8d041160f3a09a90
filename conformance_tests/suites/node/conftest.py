"""Node suite fixtures."""

from __future__ import annotations

import time
from typing import Any

import pytest

from .helpers import apply_hospital_card_dates, qr, register, verify

EXPIRY_LIFETIME_S = 1


@pytest.fixture(scope="session", autouse=True)
def expiring_code(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A dynamic code with a 1-second lifetime, minted when the run starts so that the wait for its
    expiry (lifetime + the node's clock tolerance + margin, 4.5 s on the reference) overlaps the
    rest of the suite instead of being slept; ``test_expired_dynamic_code_is_refused`` checks it
    and sleeps only what is left. Never fails here: an error is kept for that test to report."""
    if "dut" not in request.fixturenames:  # a selection without the node (e.g. arithmetic tests)
        return {"error": "not minted"}
    dut = request.getfixturevalue("dut")
    out: dict[str, Any] = {"error": None}
    try:
        r = register(dut)
        code, error = qr(dut, r.card.ehcid, dynamic=True, lifetime_seconds=EXPIRY_LIFETIME_S)
        out["minted_at"] = time.monotonic()
        if error is not None:
            out["error"] = f"dynamic code with a {EXPIRY_LIFETIME_S} s lifetime refused: {error}"
            return out
        out["text"] = code.qr_text
        out["fresh_error"] = verify(dut, code.qr_text)[1]
    except Exception as exc:  # noqa: BLE001 - reported by the test that needs the code
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


@pytest.fixture(scope="session", autouse=True)
def province_dates(request: pytest.FixtureRequest) -> None:
    """The kit's reference node refuses hospital cards from the profile's dates for the whole node
    suite, as a province's node does on its own clock (the reference certifies with them off for
    the HIS suite, which moves a visit around them)."""
    if "dut" in request.fixturenames:
        apply_hospital_card_dates(request.getfixturevalue("dut"), request.getfixturevalue("profile"))
