"""No identifier or key leaks: a node (DEBUG logging) serves a known population over gRPC and REST,
refuses bad calls on purpose, card flows run (good and failing), a certification and a short load
run write their reports; then EVERY log, error message, metrics page, report and load output is
scanned for full ID numbers (the population's and any valid GB 11643 number), birth-certificate
numbers, phone numbers and key material (as text and as hex of the text, the way APDU transcripts
carry it). The store must hold no plaintext ID; the audit trail must say who verified whom."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import json_format
from rel_store import pg_admin_url, private_pg_database

from ehc.errors import EhcError
from ehc.spec.identifiers import validate_citizen_id
from reference_node.auth import sign
from reference_node.client import error_of
from reference_node.proto.ehc.node.v1 import common_pb2 as cp
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node

REPO = Path(__file__).resolve().parents[2]
_STANDALONE_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")


def population(n: int = 24) -> list:
    from fixtures.population import generate

    return list(generate(count=n, seed=20261126))


def _secrets(people, data_dir: Path) -> dict[str, str]:
    """needle -> what it is (never printed in full by the assertions)."""
    out: dict[str, str] = {}
    for p in people:
        for value, kind in ((p.id_number, "ID number"), (p.birth_certificate, "birth certificate"),
                            (p.phone, "phone"), (p.guardian_id_number, "guardian ID")):  # fmt: skip
            if value and len(value) >= 8:
                out[value] = kind
                out[value.encode().hex()] = kind + " (hex)"
                out[value.encode().hex().upper()] = kind + " (hex)"
    for key_file in ("keys.json", "client.json"):
        doc = json.loads((data_dir / key_file).read_text())
        for text in re.findall(r"[0-9A-Fa-f]{32,}", json.dumps(doc)):
            out[text.lower()] = f"key material from {key_file}"
            out[text.upper()] = f"key material from {key_file}"
    return out


def _grpc_error(call) -> str:  # noqa: ANN001
    try:
        call()
    except grpc.RpcError as err:
        return f"{err.code()} {err.details()} {error_of(err).to_dict()}"
    return "OK"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Run everything once; return (artifact files to scan, needles, node data dir, people, audit facts)."""
    root = tmp_path_factory.mktemp("leaks")
    people = population()
    node = start_node(root, subprocess=True, http=True, extra_args=["--log-level", "DEBUG"])
    errors: list[str] = []
    facts: dict[str, object] = {}
    try:
        with node.client() as c, node.client("admin") as admin:
            regs = {}
            for p in people:
                if p.id_type != "01":
                    continue
                req = ip.RegisterRequest(
                    application_mode="3", name=p.name, document_type="01", document_number=p.id_number, sex=p.sex,
                    nation=p.nation, area_code=p.area_code, phone=p.phone, address=p.address,
                )  # fmt: skip
                try:
                    regs[p.id_number] = c.issuance.Register(req)
                except grpc.RpcError as err:  # a refusal is scanned like every other message
                    errors.append(f"{err.code()} {err.details()} {error_of(err).to_dict()}")
            assert regs, f"no person of the population could be registered: {errors[:3]}"
            first_id, first = next(iter(regs.items()))
            wrong_check = first_id[:17] + ("0" if first_id[17] != "0" else "1")
            errors += [
                _grpc_error(
                    lambda: c.issuance.Register(
                        ip.RegisterRequest(
                            application_mode="3",
                            name="x",
                            document_type="01",
                            document_number=wrong_check,
                            sex="1",
                            nation="01",
                            area_code=first_id[:6],
                        )
                    )
                ),  # fmt: skip
                _grpc_error(
                    lambda: c.issuance.Register(
                        ip.RegisterRequest(
                            application_mode="3",
                            name="另一个人",
                            document_type="01",
                            document_number=first_id,
                            sex="2",
                            nation="01",
                            area_code=first_id[:6],
                            birth_date="2001-01-01",
                        )
                    )
                ),  # fmt: skip
                _grpc_error(
                    lambda: c.main_index.Resolve(
                        mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=wrong_check)
                    )
                ),
                _grpc_error(
                    lambda: c.verification.VerifyQr(vp.VerifyQrRequest(qr_text=first_id, context=c.context()))
                ),
                _grpc_error(
                    lambda: c.usage.Report(
                        up.UsageRecord(
                            request_id="leak-1",
                            time="20261126110000",
                            org_code=c.credentials.org_code,
                            use_city="370800",
                            scene="0101011",
                            card_type="21",
                            channel="0100",
                            card_number=first_id + "Z",
                        )
                    )
                ),  # fmt: skip
            ]
            verify = c.verification.VerifyQr(vp.VerifyQrRequest(qr_text=first.qr_text, context=c.context()))
            resolved = c.main_index.Resolve(
                mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=first_id)
            )
            c.usage.Report(up.UsageRecord(request_id="leak-2", time="20261126110000", org_code=c.credentials.org_code,
                use_city="370800", scene="0101011", card_type="21", channel="0100", card_number=first_id))  # fmt: skip
            errors.append(str(c.usage.QueryUsage(up.QueryUsageRequest(limit=10))))
            facts = {"main_index": first.person.main_index, "terminal": c.credentials.terminal_id,
                     "org": c.credentials.org_code, "verified": verify.person.main_index,
                     "resolved": resolved.person.main_index}  # fmt: skip
            errors.append(
                str(admin.main_index.GetAudit(mp.GetAuditRequest(main_index=first.person.main_index)))
            )
        errors += _rest_errors(node, first_id)
        with httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30) as http:
            (root / "metrics.txt").write_text(http.get("/metrics").text)
    finally:
        node.stop()
    errors += _card_flows(people, root)
    (root / "errors.txt").write_text("\n".join(errors))
    for name, args in (
        ("certify", ["certify", "node", "--target", "reference", "--out", str(root / "certify-report"), "--quiet"]),
        ("load", ["load", "run", "--target", "reference", "--scenario", "outpatient-peak", "--users", "2",
                  "--spawn-rate", "2", "--duration", "3s", "--population", "20", "--out", str(root / "load-out")]),
    ):  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "ehc.cli", *args], capture_output=True, text=True, timeout=600, cwd=root
        )
        (root / f"{name}.stdout.txt").write_text(proc.stdout + proc.stderr)
        # a failing verdict still writes its report, which is what is scanned; a crash writes none
        print(f"leak scenario: ehc {name} exit status {proc.returncode}")
        assert proc.returncode in (0, 1), f"{name} crashed: {(proc.stdout + proc.stderr)[-1500:]}"
    from load_tests.population import synthetic_population

    # the load run's own residents (--population 20, default --seed 1) are known too
    needles = _secrets([*people, *synthetic_population(20, seed=1)], node.data_dir)
    skip = {"keys.json", "client.json", "node.db", "node.db-wal", "node.db-shm", "endpoint.json"}
    files = [p for p in root.rglob("*") if p.is_file() and p.name not in skip]
    return files, needles, node.data_dir, people, facts


def _rest_errors(node, first_id: str) -> list[str]:  # noqa: ANN001
    cred = node.credentials
    out = []
    bodies = {
        "/v1/register": {"application_mode": "3", "document_type": "01", "document_number": int(first_id[:17]), "name": "x"},
        "/v1/resolve": {"medium": "MEDIUM_CITIZEN_ID", "identifier": first_id, "unknown_field": first_id},
        "/v1/usage": {"request_id": first_id, "card_number": [first_id]},
    }  # fmt: skip
    with httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30) as http:
        for path, body in bodies.items():
            raw = json.dumps(body).encode()
            r = http.post(
                path,
                content=raw,
                headers=sign(cred.secret, f"POST {path}", raw, terminal_id=cred.terminal_id),
            )
            out.append(f"{path} {r.status_code} {r.text}")
    return out


def _card_flows(people, root: Path) -> list[str]:  # noqa: ANN001
    """Read a personalised card through the PSAM (good and failing), DEBUG logs captured."""
    sys.path.insert(0, str(REPO / "fuzz"))
    import datetime as dt

    import _cards

    from card_emulators.personalise import new_psam, personalise_user_card
    from card_emulators.readers.chipcard import ChipCardReader, ReaderConfig
    from ehc.gm import SM2PrivateKey

    log_file = root / "card-flows.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.setLevel(logging.DEBUG)
    root_logger.addHandler(handler)
    errors = []
    try:
        issuer = SM2PrivateKey.from_int(0xABCDEF)
        person = next(p for p in people if p.id_type == "01")
        for pin in ("123456", "000000"):
            card = personalise_user_card(person, _cards.keys(), issuer, issue_date=dt.date(2024, 1, 2))
            psam = new_psam(_cards.keys())
            card.powerUp()
            psam.powerUp()
            reader = ChipCardReader(card.transmit, psam.transmit, card.atr,
                                    ReaderConfig(issuer_public_key=issuer.public_key, psam_pin=pin))  # fmt: skip
            try:
                result = reader.read()
                logging.getLogger("card_emulators").info(
                    "read %r", result
                )  # a careless terminal logs the read
            except EhcError as err:
                errors.append(f"{err} {err.to_dict()}")
        card.faults.force_sw(0x6581, count=5)
        try:
            ChipCardReader(card.transmit, psam.transmit, card.atr, ReaderConfig(psam_pin="123456")).read()
        except EhcError as err:
            errors.append(f"{err} {err.to_dict()}")
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(old_level)
        handler.close()
    return errors


def test_scenario_produced_the_outputs_it_scans(scenario):
    files, needles, _, people, _ = scenario
    names = {p.name for p in files}
    assert {
        "node-process.log",
        "errors.txt",
        "metrics.txt",
        "card-flows.log",
        "report.json",
        "summary.json",
    } <= names
    assert any(kind == "ID number" for kind in needles.values()) and any(
        k.startswith("key") for k in needles.values()
    )
    print(
        f"leak scan: {len(files)} files, {sum(p.stat().st_size for p in files)} bytes, {len(needles)} needles"
    )


def _scan(text: str, needles: dict[str, str]) -> list[str]:
    found = [kind for needle, kind in needles.items() if needle in text]
    found += ["a valid citizen ID number" for c in _STANDALONE_ID.findall(text) if validate_citizen_id(c)]
    return found


def test_no_identifier_phone_or_key_in_any_output(scenario):
    files, needles, _, people, _ = scenario
    person = next(p for p in people if p.id_type == "01")
    # positive controls: the scan sees a leak in each form it looks for
    assert _scan(f"apdu 00B2 {person.id_number.encode().hex().upper()} 9000", needles)
    assert _scan(f"id={person.id_number[:17]}{person.id_number[17]}.", needles)
    assert _scan("x 11010519491231002X y", {}) and not _scan("x 1101051949****002X y", {})
    found = []
    for path in files:
        found += [
            f"{kind} in {path.name}" for kind in _scan(path.read_bytes().decode("utf-8", "ignore"), needles)
        ]
    assert not found, sorted(set(found))


def test_store_file_holds_no_plaintext_identifier(scenario):
    _, _, data_dir, people, _ = scenario
    blobs = b"".join(p.read_bytes() for p in data_dir.glob("node.db*"))
    leaked = [p.person_id for p in people if p.id_type == "01" and p.id_number.encode() in blobs]
    assert not leaked, f"{len(leaked)} ID numbers in plaintext in the SQLite files"
    assert any(p.id_type == "01" for p in people)


def test_postgresql_dump_holds_no_plaintext_identifier(tmp_path):
    admin, reason = pg_admin_url()
    if admin is None:
        print(f"SKIP PostgreSQL dump check: {reason}")
        pytest.skip(reason)
    people = [p for p in population(12) if p.id_type == "01"]
    with private_pg_database(admin) as (url, _):
        node = start_node(tmp_path, url)
        try:
            with node.client() as c:
                for p in people:
                    c.issuance.Register(ip.RegisterRequest(
                        application_mode="3", name=p.name, document_type="01", document_number=p.id_number,
                        sex=p.sex, nation=p.nation, area_code=p.area_code, phone=p.phone))  # fmt: skip
                c.main_index.Resolve(
                    mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=people[0].id_number)
                )
        finally:
            node.stop()
        import psycopg

        dump = []
        with psycopg.connect(url, autocommit=True) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]  # fmt: skip
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    dump.append(" ".join(v.hex() if isinstance(v, bytes) else str(v) for v in row))
        text = "\n".join(dump)
        assert "persons" in tables and len(dump) > len(people)
        leaked = [p.person_id for p in people if p.id_number in text or p.id_number.encode().hex() in text]
        assert not leaked, f"{len(leaked)} ID numbers in plaintext in the PostgreSQL tables"
        phones = [p.person_id for p in people if p.phone and p.phone in text]
        assert not phones, f"{len(phones)} phone numbers in plaintext in the PostgreSQL tables"


def test_verification_is_recorded_with_who_verified_whom(scenario):
    _, _, data_dir, _, facts = scenario
    import sqlite3

    conn = sqlite3.connect(f"file:{data_dir / 'node.db'}?mode=ro", uri=True)
    rows = conn.execute("SELECT terminal_id, org_code, main_index, ok FROM verifications").fetchall()
    conn.close()
    assert (facts["terminal"], facts["org"], facts["verified"], 1) in rows, rows[:5]


def test_resolve_is_audited_with_who_resolved_whom(scenario):
    # REL-F8 fixed: Resolve appends an audit row (group-committed access audit, flushed on stop)
    _, _, data_dir, _, facts = scenario
    import sqlite3

    conn = sqlite3.connect(f"file:{data_dir / 'node.db'}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT action, main_index, terminal_id, org_code, time, detail FROM audit"
    ).fetchall()
    conn.close()
    hits = [
        (when, json.loads(detail))
        for action, mi, tid, org, when, detail in rows
        if "resolve" in action
        and mi == facts["resolved"]
        and tid == facts["terminal"]
        and org == facts["org"]
    ]
    assert hits, rows
    when, detail = hits[0]
    assert len(when) == 14 and when.isdigit()  # YYYYMMDDHHMMSS
    assert detail["medium"] == "MEDIUM_CITIZEN_ID" and "*" in detail["identifier"]  # masked, never whole


__all__ = ["cp", "json_format"]
