"""Terminal driver protocol v2: the kit hosts the cards and gathers its own evidence.

The card socket framing, the card-side analysis (a protected file read before EXTERNAL
AUTHENTICATE), a v1 driver refused before any test, the card-side transcript in report.json and
report.html, a lying driver caught, and the reference driver over a real pcscd the kit starts.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import struct
import sys
from pathlib import Path

import pytest

from card_emulators.errors import CARD_REMOVED
from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
from card_emulators.readers.errors import CARD_SOCKET_CONNECT_FAILED
from card_emulators.transports.card_socket import (
    CardEvent,
    CardSlot,
    CardSocketServer,
    SocketCardTransport,
)
from conformance_tests.adapters.terminal import PROTOCOL, check_driver, check_hello, parse_spec
from conformance_tests.runner import RunOptions, run_with_result
from conformance_tests.suites.terminal.cardside import card_access
from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey
from ehc.spec.identifiers import make_citizen_id
from ehc.spec.model import Person


def _card():
    birth = dt.date(1990, 5, 17)
    person = Person(
        "P-V2-1",
        "钱小明",
        "1",
        "01",
        birth.isoformat(),
        "01",
        make_citizen_id("370811", birth, 21, 1),
        "370811",
    )
    keys = CardKeys.test_only(b"v2-tests")
    return personalise_user_card(person, keys, SM2PrivateKey.from_int(0x5EED)), keys


@pytest.fixture()
def served():
    events: list[CardEvent] = []
    slot = CardSlot("card", events.append)
    server = CardSocketServer(slot)
    yield slot, server, events
    server.close()


# ------------------------------------------------------------------------------- card socket framing
def test_card_socket_reset_apdu_and_card_side_record(served):
    slot, server, events = served
    card, _ = _card()
    slot.insert(card)
    with SocketCardTransport(server.address) as terminal:
        assert terminal.reset() == card.getATR()
        response = terminal.transmit(bytes.fromhex("00A4000002DDF1"))
        assert response[-2] in (0x90, 0x61)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["reset", "apdu"] and events[1].command == bytes.fromhex("00A4000002DDF1")
    assert events[1].response == response and events[1].at >= events[0].at


def test_card_socket_empty_slot_and_removal_answer_no_card(served):
    slot, server, events = served
    with SocketCardTransport(server.address) as terminal, pytest.raises(EhcError) as empty:
        terminal.reset()
    assert empty.value.code == CARD_REMOVED
    card, _ = _card()
    card.faults.remove_card(after=1)
    slot.insert(card)
    with SocketCardTransport(server.address) as terminal:
        terminal.reset()
        terminal.transmit(bytes.fromhex("00A40000023F00"))
        with pytest.raises(EhcError) as removed:
            terminal.transmit(bytes.fromhex("00A4000002DDF1"))
    assert removed.value.code == CARD_REMOVED
    assert events[-1].kind == "removed" and not slot.present


def test_card_socket_malformed_frame_is_recorded_and_closes(served):
    slot, server, events = served
    card, _ = _card()
    slot.insert(card)
    host, port = server.address.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(struct.pack(">H", 2) + b"\x00\xa4")  # 2 bytes: neither a control nor an APDU
        assert raw.recv(16) == b""  # the kit hangs up
    assert events[-1].kind == "bad_frame"


def test_a_connection_left_open_does_not_block_the_next_and_ends_with_the_card(served):
    slot, server, _ = served
    card, _ = _card()
    slot.insert(card)
    leaked = SocketCardTransport(server.address)
    leaked.reset()
    with SocketCardTransport(server.address) as second:  # served although the first is open
        assert second.reset() == card.getATR()
    slot.eject()
    server.hangup()  # what the card host does when the card leaves the slot
    with pytest.raises(EhcError) as gone:
        leaked.transmit(bytes.fromhex("00A40000023F00"))
    assert gone.value.code == CARD_REMOVED
    leaked.close()


def test_card_socket_unreachable_is_a_coded_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EhcError) as exc:
        SocketCardTransport(f"127.0.0.1:{port}", timeout=2)
    assert exc.value.code == CARD_SOCKET_CONNECT_FAILED


# ------------------------------------------------------------------------------- card-side analysis
def _apdu(hex_command: str, sw: str = "9000") -> CardEvent:
    return CardEvent("card", "apdu", bytes.fromhex(hex_command), bytes.fromhex(sw), 0.0)


def test_a_protected_read_before_authentication_is_seen_whatever_the_card_answered():
    early = [
        _apdu("00A40000023F00"),
        _apdu("00A4000002DDF1"),
        _apdu("00A4000002EF06"),
        _apdu("00B20B0020", "6982"),  # the card refused: the terminal still tried
        _apdu("00A4000002EF05"),
        _apdu("00B2080014"),
        _apdu("0082000411" + "00" * 17),
        _apdu("00A4000002EF06"),
        _apdu("00B20B0020"),
    ]
    access = card_access(early)
    assert len(access.early_reads) == 1 and "EF06" in access.early_reads[0]
    assert access.authenticated_at == [6] and access.holder_reads_after_auth() == 1
    # by SFI without a SELECT, and after a reset that cleared the authentication
    sfi = card_access(
        [_apdu("0082000411" + "00" * 17), CardEvent("card", "reset", b"", b"", 0.0), _apdu("00B20B3420")]
    )
    assert sfi.early_reads, "a read by SFI after a reset was not flagged"
    binary = card_access([_apdu("00A4000002EF05"), _apdu("00B0870000")])  # READ BINARY of SFI 7 (EF07)
    assert binary.early_reads and "EF07" in binary.early_reads[0]
    clean = card_access([_apdu("00A4000002EF05"), _apdu("00B2080014"), _apdu("00B2392C05")])
    assert clean.early_reads == []


# ------------------------------------------------------------------------------- protocol version
V1_DRIVER = (
    "import json,sys\n"
    "for line in sys.stdin:\n"
    "    req = json.loads(line)\n"
    "    print(json.dumps({'id': req['id'], 'ok': True, 'driver': {'protocol': 'ehc-terminal-driver/1'}}), flush=True)\n"
    "    if req['op'] == 'bye': break\n"
)


def test_a_v1_driver_is_refused_before_any_test(tmp_path):
    from click.testing import CliRunner

    from conformance_tests.cli import certify

    script = tmp_path / "v1_driver.py"
    script.write_text(V1_DRIVER, encoding="utf-8")
    spec = f"{sys.executable} {script}"
    problem = check_driver(spec)
    assert problem and problem.startswith("DRIVER_PROTOCOL") and PROTOCOL in problem
    with pytest.raises(EhcError) as exc:
        check_hello({"driver": {"protocol": "ehc-terminal-driver/1"}})
    assert "Migrating a v1 driver" in exc.value.message
    out = tmp_path / "report"
    result = CliRunner().invoke(certify, ["terminal", "--driver", spec, "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "DRIVER_PROTOCOL" in result.output and not out.exists()
    assert check_driver("reference") is None
    bad = CliRunner().invoke(certify, ["terminal", "--driver", "reference;cards=usb", "--out", str(out)])
    assert bad.exit_code == 2 and "cards=socket or cards=pcsc" in bad.output and not out.exists()


def test_driver_spec_options():
    assert parse_spec("reference")[1] == "socket"
    assert parse_spec("reference;cards=pcsc") == (parse_spec("reference")[0], "pcsc")
    assert parse_spec('vendor-drv --port "COM 3";cards=socket') == (
        ["vendor-drv", "--port", "COM 3"],
        "socket",
    )
    with pytest.raises(EhcError):
        parse_spec("reference;cards=usb")


# ------------------------------------------------------------------------------- evidence in reports
def _certify(tmp_path: Path, dut: str, select: str | None = None) -> tuple[int, dict, str]:
    out = tmp_path / "report"
    code, _ = run_with_result(
        RunOptions(role="terminal", dut=dut, out=str(out), quiet=True, select=select, max_examples=5)
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return code, report, (out / "report.html").read_text(encoding="utf-8")


def _card_side_apdus(report: dict, test_name: str) -> list[dict]:
    test = next(t for t in report["tests"] if test_name in t["nodeid"])
    return [s for s in test["transcript"] if s["kind"] == "apdu" and s["note"].startswith("card side")]


def test_report_shows_the_card_side_transcript(tmp_path):
    _, report, html = _certify(tmp_path, "reference", select="psam_authentication or counterfeit")
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts["TERM-003"] == verdicts["TERM-014"] == "pass"  # the rest is not tested (-k)
    apdus = _card_side_apdus(report, "test_chip_card_is_read_with_psam_authentication")
    assert any(s["command"].startswith("0082") and s["sw"] == "9000" for s in apdus)
    assert any(s["note"].startswith("card side: psam") for s in apdus), "the PSAM's side is missing"
    failed_auth = _card_side_apdus(report, "counterfeit")
    assert any(s["command"].startswith("0082") and s["sw"] != "9000" for s in failed_auth)
    assert "card side: card" in html and "0082" in html
    # ID numbers inside the card's answers are masked in the report
    steps = json.dumps(report["tests"], ensure_ascii=False)
    assert "node received Resolve" in steps


def test_a_driver_lying_about_its_apdus_fails_term_003(tmp_path):
    code, report, _ = _certify(tmp_path, "mutant:lies-about-apdus", select="psam_authentication")
    failed = {r["id"] for r in report["requirements"] if r["verdict"] == "fail"}
    assert "TERM-003" in failed
    # it *said* it authenticated; the card saw no EXTERNAL AUTHENTICATE
    assert not any(s["command"].startswith("0082") for s in _card_side_apdus(report, "psam_authentication"))


# ------------------------------------------------------------------------------- the pcscd path
@pytest.mark.pcscd
def test_reference_driver_over_a_pcscd_the_kit_starts(tmp_path):
    from card_emulators.pcscd import unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real PC/SC path unavailable here: {reason}")
    code, report, html = _certify(tmp_path, "reference;cards=pcsc")
    failing = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
    assert code == 0 and failing == [], failing
    assert report["dut"]["cards"] == "pcsc"
    apdus = _card_side_apdus(report, "test_chip_card_is_read_with_psam_authentication")
    assert any(s["command"].startswith("0082") and s["sw"] == "9000" for s in apdus)
    assert "card side: psam" in html


def test_psam_in_the_socket_slot_authenticates_a_card(served):
    # the two slots together, the way the reference driver uses them
    from card_emulators.readers.chipcard import ChipCardReader, ReaderConfig

    slot, server, events = served
    card, keys = _card()
    psam_slot = CardSlot("psam", events.append)
    psam_server = CardSocketServer(psam_slot)
    try:
        slot.insert(card)
        psam_slot.insert(new_psam(keys))
        with SocketCardTransport(server.address) as c, SocketCardTransport(psam_server.address) as p:
            atr = c.reset()
            p.reset()
            read = ChipCardReader(c.transmit, p.transmit, atr, ReaderConfig(psam_pin="123456")).read()
        assert read.holder["name"] == "钱小明"
        assert not card_access(events).early_reads and card_access(events).authenticated_at
    finally:
        psam_server.close()
