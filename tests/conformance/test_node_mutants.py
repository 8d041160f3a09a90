"""Node mutants are vendor nodes: real gRPC servers in front of the reference node, one module
each, every one naming the node requirements that must catch it; the identities the suite needs are
provisioned through the node's registry and a client file without them is reported."""

from __future__ import annotations

import json
from types import SimpleNamespace

from conformance_tests.catalogue import load_catalogue
from conformance_tests.mutants import mutants_of
from conformance_tests.profiles import load_profile
from conformance_tests.transcript import TranscriptHolder
from reference_node.identities import IDENTITY_ROLES, missing_identities, write_client_file
from reference_node.proto.ehc.node.v1 import registry_pb2 as R
from reference_node.proto.ehc.node.v1 import usage_pb2 as U


def _run() -> SimpleNamespace:
    return SimpleNamespace(holder=TranscriptHolder(), profile=load_profile("national", load_catalogue()))


def test_every_node_mutant_names_node_requirements_of_its_class():
    catalogue = load_catalogue().requirements  # id -> requirement
    mutants = mutants_of("node")
    assert len(mutants) >= 12
    for name, m in mutants.items():
        assert m.description and m.defect_class, name
        assert m.catches, f"{name} names no requirement"
        for rid in m.catches:
            assert rid in catalogue, f"{name}: unknown requirement {rid}"
            assert "node" in catalogue[rid].roles, f"{name}: {rid} is not a node requirement"


def _register(adapter):
    from conformance_tests.suites.node.helpers import person_request

    response, error = adapter.call("issuance", "Register", person_request(adapter))
    assert error is None, error
    return response


def _record(adapter, ehcid: str, i: int, role: str = "terminal", **over) -> U.UsageRecord:
    ctx = adapter.context(role)
    fields = dict(
        request_id=f"mutant-test-{ehcid[:12]}-{i}", time="20240102030405", org_code=ctx.org_code,
        use_city=ctx.use_city, scene="0101012", medical_step="010101", department="5500", card_type="11",
        channel="0100", payment_category="0100", visit_type="O", ehcid=ehcid, terminal_id=ctx.terminal_id,
    )  # fmt: skip
    fields.update(over)
    return U.UsageRecord(**fields)


def _stored(adapter, ehcid: str) -> list:
    listed, error = adapter.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid, limit=1000), "admin")
    assert error is None, error
    return list(listed.records)


def test_a_mutant_is_a_grpc_server_of_its_own_in_front_of_the_node():
    from conformance_tests.mutants.node import make_mutant

    adapter = make_mutant("drops-usage-reports", _run())
    try:
        assert adapter.target == adapter.mutant.target != adapter._owner.running.target
        # an unaltered call goes through the proxy to the node and back
        listed, error = adapter.call("registry", "ListOrganisations", R.ListOrganisationsRequest(), "admin")
        assert error is None and listed.organisations
        # the node's refusal comes back unchanged (status and the kit's code in the trailers)
        _, error = adapter.call("registry", "UpsertOrganisation", R.Organisation(code="X"), "terminal")
        assert error["grpc"] == "PERMISSION_DENIED" and error["code"].startswith("NODE_")
        # the mutant lies where it says: of 200 reports, all acknowledged, 2 never reach the node
        ehcid = _register(adapter).card.ehcid
        acks = [adapter.call("usage", "Report", _record(adapter, ehcid, i))[0] for i in range(100)]
        acks += adapter.stream("usage", "ReportStream", [_record(adapter, ehcid, i) for i in range(100, 200)])
        assert all(a is not None and a.accepted for a in acks)
        assert len(_stored(adapter, ehcid)) == 198
    finally:
        adapter.close()


def test_identities_are_provisioned_and_a_file_without_them_is_named(tmp_path):
    from conformance_tests.adapters.node import check_spec, start_reference

    adapter = start_reference(_run())
    try:
        ids = adapter.identities
        assert set(ids) == set(IDENTITY_ROLES)
        assert ids["terminal"].org_code == ids["peer"].org_code != ids["foreign"].org_code
        assert len({c.terminal_id for c in ids.values()}) == 4
        for role in ("peer", "foreign"):  # each signs with its own, registered credential
            got, error = adapter.call(
                "registry", "GetTerminal", R.GetTerminalRequest(terminal_id=ids[role].terminal_id), role
            )
            assert error is None and got.role == R.TERMINAL_ROLE_TERMINAL, (role, error)
        full = write_client_file(tmp_path / "full.json", adapter.target, ids)
        assert missing_identities(full) == [] and check_spec(f"{adapter.target};client={full}") is None
        doc = json.loads(full.read_text(encoding="utf-8"))
        del doc["foreign"], doc["peer"]
        partial = tmp_path / "partial.json"
        partial.write_text(json.dumps(doc), encoding="utf-8")
        partial.chmod(0o600)  # client files hold secrets: the node refuses group-readable ones
        assert missing_identities(partial) == ["peer", "foreign"]
        problem = check_spec(f"{adapter.target};client={partial}")
        assert problem and "peer, foreign" in problem and "ehc node client" in problem and "\n" not in problem
        # complete but useless: the peer is the terminal itself, or "foreign" is of organisation A
        for role, other in (("peer", "terminal"), ("foreign", "peer")):
            wrong = json.loads(full.read_text(encoding="utf-8"))
            wrong[role] = wrong[other]
            bad = tmp_path / f"bad-{role}.json"
            bad.write_text(json.dumps(wrong), encoding="utf-8")
            bad.chmod(0o600)
            problem = check_spec(f"{adapter.target};client={bad}")
            assert problem and "different terminals" in problem, problem
        wrong = json.loads(full.read_text(encoding="utf-8"))
        wrong["foreign"]["org_code"] = wrong["terminal"]["org_code"]
        bad = tmp_path / "bad-org.json"
        bad.write_text(json.dumps(wrong), encoding="utf-8")
        bad.chmod(0o600)
        assert "another organisation" in (check_spec(f"{adapter.target};client={bad}") or "")
    finally:
        adapter.close()


def test_escalating_mutants_really_change_the_node():
    """What the suite sees as "accepted" happened in the node behind the proxy."""
    from conformance_tests.mutants.node import make_mutant

    adapter = make_mutant("runs-as-admin", _run())
    try:
        me = adapter.context()
        org = R.Organisation(
            code=f"{me.org_code[:-1]}8", name="mutant test org", level="1", area_code=me.use_city
        )
        assert adapter.call("registry", "UpsertOrganisation", org, "terminal")[1] is None
        got, error = adapter.call(
            "registry", "GetOrganisation", R.GetOrganisationRequest(code=org.code), "admin"
        )
        assert error is None and got.code == org.code
    finally:
        adapter.close()
    adapter = make_mutant("trusts-spoofed-context", _run())
    try:
        ehcid = _register(adapter).card.ehcid
        other = adapter.context("foreign")
        record = _record(adapter, ehcid, 1, org_code=other.org_code, terminal_id=other.terminal_id)
        assert adapter.call("usage", "Report", record, "terminal")[1] is None
        assert [(u.org_code, u.terminal_id) for u in _stored(adapter, ehcid)] == [
            (other.org_code, other.terminal_id)
        ]
    finally:
        adapter.close()


def test_identities_command_for_a_tls_node(tmp_path):
    """`ehc node client identities` on a TLS node: the client file's "tls" object is used for the
    registry calls and carried into the new file, whose identities then sign over TLS."""
    from click.testing import CliRunner

    from conformance_tests.tlsmaterial import make_test_tls
    from reference_node.cli import node as node_cli
    from reference_node.client import NodeClient, TlsConfig, load_client_file
    from reference_node.runtime import start

    material = make_test_tls()
    paths = material.write(tmp_path / "tls")
    running = start(tmp_path / "node", tls=(material.server_key, material.server_cert))
    try:
        source = json.loads(running.client_file.read_text(encoding="utf-8"))
        source["tls"] = {"ca": str(paths["ca"])}
        served = tmp_path / "client.json"
        served.write_text(json.dumps(source), encoding="utf-8")
        served.chmod(0o600)
        out = tmp_path / "certify-client.json"
        made = CliRunner().invoke(
            node_cli, ["client", "--client-file", str(served), "identities", "--out", str(out)]
        )
        assert made.exit_code == 0, made.output
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert missing_identities(out) == [] and doc["tls"] == {"ca": str(paths["ca"].resolve())}
        _, peer = load_client_file(out, "peer")
        with NodeClient(running.target, peer, tls=TlsConfig(ca=material.ca)) as nc:
            got = nc.registry.GetTerminal(R.GetTerminalRequest(terminal_id=peer.terminal_id), timeout=10)
        assert got.org_code == load_client_file(out, "terminal")[1].org_code
    finally:
        running.stop()
