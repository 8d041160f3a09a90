"""The issue's walkthrough with the real CLI: serve, register, dynamic code, verify, refused after
expiry and after suspension, report a use; plus keys init, import and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from node_helpers import citizen_id

from ehc.spec.model import Person


def ehc(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EHC_NODE_HOME=str(home))
    out = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "node", *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def served(tmp_path: Path):
    home = tmp_path / "home"
    env = dict(os.environ, EHC_NODE_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ehc.cli", "node", "serve", "--grpc-port", "0", "--clock-skew", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    endpoint = home / "endpoint.json"
    for _ in range(300):
        if endpoint.exists() and (home / "client.json").exists():
            break
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    yield home
    proc.terminate()
    proc.wait(10)
    log = proc.stderr.read() if proc.stderr else ""
    assert '"msg": "node listening"' in log  # structured log says where it listens


def test_walkthrough(served: Path):
    if not hasattr(sys, "executable"):
        pytest.skip("no interpreter path")
    home = served
    number = citizen_id()
    reg = json.loads(ehc("client", "register", "--name", "赵六", "--id-number", number, home=home).stdout)
    ehcid = reg["card"]["ehcid"]
    assert reg["person"]["document_number"] == number and reg["card"]["status"] == "CARD_STATUS_NORMAL"
    # 8 s: each CLI call starts a Python process (slow on a loaded machine); then wait it out
    code = json.loads(ehc("client", "qr", "--ehcid", ehcid, "--dynamic", "--lifetime", "8", home=home).stdout)
    assert code["qr_text"].startswith(ehcid + ":0:")
    ok = json.loads(ehc("client", "verify", "--qr", code["qr_text"], home=home).stdout)
    assert ok["person"]["main_index"] == reg["person"]["main_index"] and ok["surplus_num"] == 4
    valid_until = dt.datetime.strptime(code["valid_until"], "%Y%m%d%H%M%S").replace(
        tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    time.sleep(
        max(0.0, (valid_until - dt.datetime.now(dt.UTC)).total_seconds()) + 1.2
    )  # node runs with --clock-skew 0
    expired = ehc("client", "verify", "--qr", code["qr_text"], home=home, check=False)
    assert expired.returncode == 1 and expired.stderr.startswith("QR_EXPIRED (2030)")
    ehc("client", "suspend", "--ehcid", ehcid, "--reason", "test", home=home)
    suspended = ehc("client", "verify", "--qr", ehcid + ":1", home=home, check=False)
    assert suspended.returncode == 1 and suspended.stderr.startswith("NODE_CARD_SUSPENDED (4302)")
    ehc("client", "resume", "--ehcid", ehcid, home=home)
    ack = json.loads(ehc("client", "report", "--ehcid", ehcid, "--request-id", "walk-1", home=home).stdout)
    assert ack["accepted"] is True
    usage = json.loads(ehc("client", "usage", "--ehcid", ehcid, home=home).stdout)
    assert [r["request_id"] for r in usage["records"]] == ["walk-1"]
    res = json.loads(ehc("client", "resolve", "--id-type", "01", "--id-number", number, home=home).stdout)
    assert res["person"]["main_index"] == reg["person"]["main_index"]
    link = [
        "client",
        "link",
        "--main-index",
        reg["person"]["main_index"],
        "--medium",
        "linked-code",
        "--identifier",
        "alipay:2088xyz",
        "--card-medium",
        "61",
    ]
    assert json.loads(ehc(*link, home=home).stdout)["changed"] is True
    linked = json.loads(ehc("client", "verify", "--qr", "alipay:2088xyz", home=home).stdout)
    assert linked["person"]["main_index"] == reg["person"]["main_index"]
    bad = ehc("client", "register", "--name", "x", "--id-number", "123", home=home, check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("NODE_DOCUMENT_INVALID (4105)")


def test_import_population(served: Path, tmp_path: Path):
    people = []
    for i in range(30):
        n = citizen_id()
        people.append(Person(person_id=f"P{i:07d}", name=f"居民{i}", sex="1" if int(n[16]) % 2 else "2", nation="01",
                             birth_date=f"{n[6:10]}-{n[10:12]}-{n[12:14]}", id_type="01", id_number=n, area_code=n[:6]))  # fmt: skip
    lines = [p.to_json() for p in people]
    lines.insert(7, lines[7].replace('"sex":"', '"sex":"7'))  # a bad record: reported, skipped
    lines.insert(3, "not json")
    pop = tmp_path / "pop.jsonl"
    pop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = json.loads(
        ehc("import", "--population", str(pop), "--errors", str(tmp_path / "rej.jsonl"), home=served).stdout
    )
    assert out["records"] == 32 and out["accepted"] == 30 and out["rejected"] == 2
    rejected = [json.loads(line) for line in (tmp_path / "rej.jsonl").read_text().splitlines()]
    assert {r.get("code") for r in rejected} == {"NODE_FIELD_BAD_CODE", None}


def test_keys_init(tmp_path: Path):
    out = json.loads(ehc("keys", "init", "--keys", str(tmp_path / "k.json"), home=tmp_path).stdout)
    assert out["keys"].endswith("k.json")
    again = ehc("keys", "init", "--keys", str(tmp_path / "k.json"), home=tmp_path, check=False)
    assert again.returncode == 1 and again.stderr.startswith("NODE_KEYS_MISSING (4901)")


def test_client_without_a_node_fails_with_a_code(tmp_path: Path):
    out = ehc("client", "get", "--ehcid", "A" * 64, home=tmp_path / "none", check=False)
    assert out.returncode == 1 and out.stderr.startswith("NODE_CONFIG_INVALID (4904)")


def test_import_a_generated_population_binds_newborns_to_guardians(served: Path, tmp_path: Path):
    from fixtures.population import PopulationConfig, generate

    people = list(
        generate(PopulationConfig(count=400, seed=7, region="370800", newborn_rate=0.03, poverty_rate=0.2))
    )
    pop = tmp_path / "pop.jsonl"
    pop.write_text("".join(p.to_json() + "\n" for p in people), encoding="utf-8")
    out = json.loads(ehc("import", "--population", str(pop), home=served).stdout)
    assert out["records"] == len(people) and out["accepted"] == len(people) and out["rejected"] == 0
    children = [p for p in people if p.guardian_id_number]
    registered = {p.id_number for p in people}
    assert out["guardians_bound"] == sum(1 for p in children if p.guardian_id_number in registered)
    newborn = next((p for p in people if p.id_type == "08" and p.guardian_id_number in registered), None)
    if newborn is not None:
        res = json.loads(
            ehc(
                "client",
                "resolve",
                "--medium",
                "birth-certificate",
                "--id-number",
                newborn.id_number,
                home=served,
            ).stdout
        )
        assert res["cards"][0]["attribute"] == "CARD_ATTRIBUTE_TEMPORARY"
    poor = next(p for p in people if p.poverty_relief and p.id_type == "01")
    res = json.loads(ehc("client", "resolve", "--id-number", poor.id_number, home=served).stdout)
    assert res["person"]["poverty_relief"] is True


def test_serve_flags_set_the_stream_and_rest_bounds(tmp_path: Path):
    """`ehc node serve` flags reach the node: one stream per terminal, a short REST header bound."""
    import socket
    import threading

    import grpc

    from reference_node.client import NodeClient, error_of, load_client_file

    home = tmp_path / "home"
    env = dict(os.environ, EHC_NODE_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ehc.cli", "node", "serve", "--grpc-port", "0", "--http-port", "0",
         "--max-streams-per-terminal", "1", "--http-header-timeout", "0.5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        endpoint = home / "endpoint.json"
        for _ in range(300):
            if endpoint.exists() and (home / "client.json").exists():
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        info = json.loads(endpoint.read_text())
        target, creds = load_client_file(home / "client.json")
        release = threading.Event()

        def idle():  # noqa: ANN202
            release.wait()
            yield from ()

        with NodeClient(target, creds) as c:
            first = c.usage.ReportStream(idle())
            time.sleep(0.5)  # the first stream holds the terminal's only slot
            with pytest.raises(grpc.RpcError) as refused:
                list(c.usage.ReportStream(iter([]), timeout=10))
            assert error_of(refused.value).code.name == "NODE_STREAMS_EXHAUSTED"
            release.set()
            first.cancel()
        s = socket.create_connection(("127.0.0.1", info["http_port"]))
        s.settimeout(10)
        started = time.monotonic()
        assert s.recv(16) == b""  # nothing sent: closed after the 0.5 s header bound
        assert time.monotonic() - started < 5
        s.close()
    finally:
        proc.terminate()
        proc.wait(10)
