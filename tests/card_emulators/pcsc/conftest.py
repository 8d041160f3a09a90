"""Fixtures of the real PC/SC path: a real pcscd (vpcd driver) and emulated cards served into it.

Needs root, pcscd, vsmartcard-vpcd and pyscard (CI has them). Elsewhere every test here is
SKIPPED with the reason printed in the summary (-ra). ``EHC_PCSCD_MODE=system`` uses the system
pcscd and /etc/reader.conf.d instead of a private one.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass

import pytest

from card_emulators.pcscd import PcscdHarness, unavailable_reason
from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
from card_emulators.transports.vpcd import VpcdClient
from ehc.gm import SM2PrivateKey
from ehc.spec.identifiers import make_citizen_id
from ehc.spec.model import Person

PSAM_PIN = "123456"  # TEST-ONLY: the personaliser's default PSAM PIN


@pytest.fixture(scope="session")
def pcscd():
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real pcscd path not run: {reason}")
    harness = PcscdHarness(
        mode=os.environ.get("EHC_PCSCD_MODE", "isolated"), debug=bool(os.environ.get("EHC_PCSCD_DEBUG"))
    )
    harness.start()
    previous = os.environ.get("PCSCLITE_CSOCK_NAME")
    harness.use_in_this_process()
    yield harness
    harness.stop()
    # libpcsclite keeps the socket it first used; at least later subprocesses get the old value.
    if previous is None:
        os.environ.pop("PCSCLITE_CSOCK_NAME", None)
    else:
        os.environ["PCSCLITE_CSOCK_NAME"] = previous


@dataclass
class EmulatedPair:
    person: Person
    card: object
    psam: object
    issuer_key: SM2PrivateKey
    card_client: VpcdClient
    psam_client: VpcdClient
    card_reader: str
    psam_reader: str


def make_person() -> Person:
    birth = dt.date(1987, 11, 3)
    return Person(
        "P-PCSC-1",
        "赵小燕",
        "2",
        "03",
        birth.isoformat(),
        "01",
        make_citizen_id("370802", birth, 222, 2),
        "370802",
        phone="13900000001",
        address="山东省济宁市任城区",
    )


def wait_for_card(reader: str, timeout: float = 10.0) -> None:
    """pcscd polls the vpcd slot; a freshly connected card shows up after one poll."""
    from smartcard.System import readers

    deadline = time.monotonic() + timeout
    while True:
        target = next(r for r in readers() if str(r) == reader)
        conn = target.createConnection()
        try:
            conn.connect()
            conn.disconnect()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            conn.component.release()  # free the PC/SC context now, not in a late __del__


def wait_for_removal(names: list[str], timeout: float = 10.0) -> None:
    from card_emulators.transports.pcsc import reader_status

    deadline = time.monotonic() + timeout
    while any(e["card_present"] for e in reader_status() if e["reader"] in names):
        assert time.monotonic() < deadline, f"pcscd still sees a card in {names}"
        time.sleep(0.05)


@pytest.fixture()
def card_waiter():
    return wait_for_card


@pytest.fixture()
def emulated_pair(pcscd):
    keys = CardKeys.test_only(b"pcsc-tests")
    issuer_key = SM2PrivateKey.generate()
    person = make_person()
    card = personalise_user_card(person, keys, issuer_key, issue_date=dt.date(2024, 6, 1))
    psam = new_psam(keys)
    card_client = VpcdClient(card, port=pcscd.vpcd_port(0), name="user-card", record=1000).start()
    psam_client = VpcdClient(psam, port=pcscd.vpcd_port(1), name="psam").start()
    for client in (card_client, psam_client):
        assert client.wait_connected(10), (
            f"{client.name} not connected; pcscd log:\n{pcscd.log_text()[-3000:]}"
        )
    pair = EmulatedPair(
        person, card, psam, issuer_key, card_client, psam_client, pcscd.reader_name(0), pcscd.reader_name(1)
    )
    wait_for_card(pair.card_reader)
    wait_for_card(pair.psam_reader)
    yield pair
    pair.card_client.stop()
    pair.psam_client.stop()
    # Like a user pulling both cards: wait until pcscd has seen them go, so the next test's cards
    # arrive as a fresh insertion (pcscd would otherwise take a quick re-insert for the old card).
    wait_for_removal([pair.card_reader, pair.psam_reader])


def pytest_collection_modifyitems(config, items) -> None:
    # Every test that needs the real pcscd carries the project's `pcscd` marker (-m "not pcscd").
    for item in items:
        if "pcscd" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pcscd)
