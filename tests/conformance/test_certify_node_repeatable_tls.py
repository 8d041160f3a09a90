"""One running reference node, serving TLS with a TEST-ONLY CA, certified twice in a row through
`ehc certify node --target "HOST:PORT;client=FILE;ca=FILE"`: both runs pass (fresh identifiers,
before/after differences), SEC-009 is tested, and a wrong CA or a plaintext dial stops at exit 3."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner
from grpc_health.v1.health_pb2 import HealthCheckRequest, HealthCheckResponse
from grpc_health.v1.health_pb2_grpc import HealthStub

from conformance_tests.cli import certify
from conformance_tests.labcert import certify_terminals
from conformance_tests.runner import RunOptions, run_with_result
from conformance_tests.tlsmaterial import TlsTerminator, make_test_tls
from reference_node.client import NodeClient
from reference_node.config import now_cst
from reference_node.identities import provision_identities, write_client_file
from reference_node.testing import start_node


def _run(target: str, out, *extra: str) -> tuple[int, dict, str]:
    # the reference node's clock tolerance is 2 s: declared, the expiry test waits 2 s, not 30
    ics = out.parent / "ics.toml"
    ics.write_text(
        '[dut]\nname = "reference node over TLS"\n\n[claims]\nroles = ["node"]\n\n'
        '[declared]\n"dynamic_code.clock_skew_seconds" = 2\n',
        encoding="utf-8",
    )
    args = ["--out", str(out), "--max-examples", "3", "--quiet", "--certification", "--declaration", str(ics)]
    result = CliRunner().invoke(certify, ["node", "--target", target, *args, *extra])
    report_path = out / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    return result.exit_code, report, result.stderr


def _verdicts(report: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"]}


def test_the_same_tls_node_certifies_twice(tmp_path):
    tls = make_test_tls(("localhost", "127.0.0.1"))
    pem = tls.write(tmp_path / "tls")
    node = start_node(
        tmp_path,
        subprocess=True,
        # no per-terminal rate limit: the node's flow control is tested elsewhere, here it only
        # slows the two runs down (the adapter backs off and calls again)
        extra_args=[
            "--tls-cert",
            str(pem["server_cert"]),
            "--tls-key",
            str(pem["server_key"]),
            "--rate-limit",
            "0",
        ],
    )
    try:
        identities = provision_identities(
            node.target, node.credentials, node.admin_credentials, tls_root=tls.ca
        )
        client = write_client_file(tmp_path / "client.json", node.target, identities)
        port = node.target.rsplit(":", 1)[1]

        # the node is there, but not as dialled: exit 3 before any test, no report
        other = make_test_tls()
        (tmp_path / "other-ca.pem").write_bytes(other.ca)
        for spec, words in (
            (f"{node.target};client={client}", "over plaintext"),
            (f"{node.target};client={client};ca={tmp_path / 'other-ca.pem'}", "over tls"),
        ):
            code, report, stderr = _run(spec, tmp_path / "refused")
            assert code == 3 and words in stderr and not report, (code, stderr)
            assert not (tmp_path / "refused").exists()

        # first run: TLS from the target (CA, and the name in the certificate when dialling by IP)
        code1, first, _ = _run(f"localhost:{port};client={client};ca={pem['ca']}", tmp_path / "first")
        # second run: TLS from the client file ("tls" object, paths relative to the file)
        doc = json.loads(client.read_text(encoding="utf-8"))
        doc["tls"] = {"ca": "tls/ca.pem", "server_name": "127.0.0.1"}
        client.write_text(json.dumps(doc), encoding="utf-8")
        with NodeClient.from_file(client) as nc:  # any client of the file goes over TLS too
            stub = HealthStub(nc.channel)
            assert stub.Check(HealthCheckRequest(), timeout=10).status == HealthCheckResponse.SERVING
        code2, second, _ = _run(f"{node.target};client={client}", tmp_path / "second")
    finally:
        node.stop()
    for report, code in ((first, code1), (second, code2)):
        failing = [rid for rid, verdict in _verdicts(report).items() if verdict == "fail"]
        assert code == 0 and failing == [] and report["verdict"] == "pass", (code, failing)
        assert report["dut"]["transport"] == "tls" and report["dut"]["implementation"] == "remote"
        assert _verdicts(report)["SEC-009"] == "pass"
        assert _verdicts(report)["SUP-001"] == "pass" and _verdicts(report)["NODE-REG-002"] == "pass"
    assert first["hypothesis"]["seed"] == second["hypothesis"]["seed"] == 0  # both certification runs
    assert first["hypothesis"]["nonce"] != second["hypothesis"]["nonce"]


def test_a_test_instance_that_already_holds_data_passes(tmp_path):
    """A node seeded with a city's supervision history (``--demo-data``: residents, cards,
    populations, visits) passes the supervision profile: the KPI tests count differences."""

    from reference_node.client import TlsConfig
    from reference_node.proto.ehc.node.v1 import supervision_pb2 as S
    from reference_node.proto.ehc.node.v1 import supervision_pb2_grpc

    tls = make_test_tls()
    pem = tls.write(tmp_path / "tls")
    node = start_node(
        tmp_path,
        subprocess=True,
        extra_args=[
            *("--tls-cert", str(pem["server_cert"]), "--tls-key", str(pem["server_key"])),
            # a Jining node as `ehc node serve --profile shandong-jining` runs it: re-issue refused,
            # hospital-card dates on its own clock, only certified terminals (检测备案)
            *("--rate-limit", "0", "--demo-data", "--profile", "shandong-jining", "--clock-skew", "2"),
        ],
    )
    try:
        identities = provision_identities(
            node.target, node.credentials, node.admin_credentials, tls_root=tls.ca
        )
        client = write_client_file(tmp_path / "client.json", node.target, identities)
        from reference_node.client import signed_channel

        # what the lab does first under a certified-terminals-only profile (docs/certification.md)
        suite = [identities[role].terminal_id for role in ("terminal", "peer", "foreign")]
        certify_terminals(node.target, identities["admin"], suite, "shandong-jining", tls.ca)

        # `serve --demo-data` seeds after it starts listening and says so when done: wait for that
        # line (certifying while the seeding still writes met a locked store on a loaded machine)
        log = node.data_dir.parent / "node-process.log"
        deadline = time.monotonic() + 240
        while "supervision demo data:" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, "the node did not finish seeding its demo history in 240 s"
            time.sleep(0.5)
        channel = signed_channel(node.target, identities["admin"], tls=TlsConfig(ca=tls.ca))
        stub = supervision_pb2_grpc.SupervisionServiceStub(channel)
        today = now_cst().date().isoformat()  # the node's day (Beijing time), not the UTC date
        holders = stub.Kpis(S.KpiRequest(start_date=today, end_date=today)).summary.holders
        visits = stub.Kpis(S.KpiRequest(start_date="2019-07-01", end_date="2021-10-31")).summary.visits
        channel.close()
        assert holders > 0 and visits > 0, "the demo history is missing: nothing to be robust against"
        code, report, _ = _run(
            f"{node.target};client={client};ca={pem['ca']}",
            tmp_path / "report",
            "--profile",
            "shandong-jining",
        )
    finally:
        node.stop()
    failing = [rid for rid, verdict in _verdicts(report).items() if verdict == "fail"]
    assert code == 0 and failing == [], failing
    verdicts = _verdicts(report)
    assert all(verdicts[f"SUP-00{i}"] == "pass" for i in range(1, 8)), verdicts


def test_mutual_tls_is_certified_with_the_client_certificate(tmp_path):
    """A node that demands a client certificate (here: a TLS front requiring one, in front of a
    plaintext reference node) is unreachable without cert=/key= and passes SEC-009 with them."""
    node = start_node(tmp_path)
    tls = make_test_tls()
    pem = tls.write(tmp_path / "tls")
    front = TlsTerminator(node.target, tls, client_ca=tls.ca)
    try:
        identities = provision_identities(node.target, node.credentials, node.admin_credentials)
        client = write_client_file(tmp_path / "client.json", front.target, identities)
        spec = f"{front.target};client={client};ca={pem['ca']}"
        code, report, stderr = _run(spec, tmp_path / "no-cert")
        assert code == 3 and "over tls" in stderr and not report, (code, stderr)
        with_cert = f"{spec};cert={pem['client_cert']};key={pem['client_key']}"
        result = CliRunner().invoke(
            certify,
            [
                "node",
                "--target",
                with_cert,
                "--out",
                str(tmp_path / "mtls"),
                "--quiet",
                "-k",
                "protected_by_tls",
            ],
        )
    finally:
        front.close()
        node.stop()
    report = json.loads((tmp_path / "mtls" / "report.json").read_text(encoding="utf-8"))
    assert _verdicts(report)["SEC-009"] == "pass", result.output[-2000:]
    assert result.exit_code == 1  # -k: the other requirements are not tested


def test_replay_recreates_the_runs_identifiers(tmp_path):
    # -k runs one test (the others are "not-tested", so the run itself fails: only its ids matter)
    opts = dict(role="node", dut="reference", max_examples=2, quiet=True, select="batch_registration")
    run_with_result(RunOptions(out=str(tmp_path / "a"), **opts))
    run_with_result(RunOptions(out=str(tmp_path / "b"), replay=str(tmp_path / "a"), **opts))
    run_with_result(RunOptions(out=str(tmp_path / "c"), **opts))

    def batch_ids(name: str) -> tuple[str, list[str]]:
        report = json.loads((tmp_path / name / "report.json").read_text(encoding="utf-8"))
        test = next(t for t in report["tests"] if "batch_registration" in t["nodeid"])
        assert test["outcome"] == "passed", test["message"]
        calls = [e for e in test["transcript"] if "RegisterBatch" in json.dumps(e, ensure_ascii=False)]
        ids = sorted(set(_request_ids(calls)))
        return report["hypothesis"]["nonce"], ids

    (nonce_a, ids_a), (nonce_b, ids_b), (nonce_c, ids_c) = batch_ids("a"), batch_ids("b"), batch_ids("c")
    assert len(ids_a) == 5, ids_a
    assert nonce_a == nonce_b and ids_a == ids_b, "--replay did not recreate the identifiers"
    assert nonce_c != nonce_a and not set(ids_c) & set(ids_a), "a new run reused identifiers"


def _request_ids(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k == "request_id" and isinstance(v, str)]
        return found + [i for v in value.values() for i in _request_ids(v)]
    if isinstance(value, list):
        return [i for v in value for i in _request_ids(v)]
    return []
