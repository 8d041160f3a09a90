"""The provincial-envelope roles (``ehc certify node --api qinghai|sichuan``): the reference node
passes every requirement of the role, a node named by ``URL;client=FILE`` is certified through the
envelope alone, and a mutant platform fails the requirement of its defect class."""

from __future__ import annotations

import pytest

from conformance_tests.catalogue import load_catalogue
from conformance_tests.runner import RunOptions, run_with_result

ROLES = {"node-qinghai": ("qinghai", "QINGHAI-"), "node-sichuan": ("sichuan", "SICHUAN-")}


def _verdicts(run) -> dict[str, str]:
    return {r.id: r.verdict for r in run.result.requirements if r.verdict != "not-applicable"}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_reference_passes_every_requirement_of_the_role(tmp_path, role):
    code, run = run_with_result(
        RunOptions(role=role, dut="reference", out=str(tmp_path / "r"), certification=True, quiet=True)
    )
    prefix = ROLES[role][1]
    bound = {r.id for r in load_catalogue() if role in r.roles}
    expected = {i for i in bound if i.startswith(prefix)}
    # besides its envelope's own, the role is bound by Jining's 检测备案 (every door), not national's
    assert expected and bound - expected == {"NODE-CERT-001"}
    assert code == 0, _verdicts(run)
    assert _verdicts(run) == dict.fromkeys(expected, "pass")
    assert {r.id: r.verdict for r in run.result.requirements}["NODE-CERT-001"] == "not-applicable"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_node_named_by_url_and_client_file(tmp_path, role):
    from reference_node.config import NodeConfig
    from reference_node.testing import start_node

    node = start_node(tmp_path / "node", http=True, config=NodeConfig(apis=(ROLES[role][0],)))
    try:
        spec = f"http://127.0.0.1:{node.http_port};client={node.client_file}"
        code, run = run_with_result(RunOptions(role=role, dut=spec, out=str(tmp_path / "r"), quiet=True))
    finally:
        node.stop()
    verdicts = _verdicts(run)
    assert code == 0 and verdicts and set(verdicts.values()) == {"pass"}, verdicts


@pytest.mark.parametrize(
    ("role", "mutant", "requirement"),
    [("node-qinghai", "xxe-resolved", "QINGHAI-007"), ("node-sichuan", "digest-over-plain", "SICHUAN-002")],
)
def test_a_mutant_platform_fails_its_requirement(tmp_path, role, mutant, requirement):
    code, run = run_with_result(
        RunOptions(role=role, dut=f"mutant:{mutant}", out=str(tmp_path / "r"), quiet=True)
    )
    assert code != 0 and _verdicts(run).get(requirement) == "fail", _verdicts(run)


@pytest.mark.parametrize(
    ("module", "spec", "expected"),
    [
        (
            "qinghai",
            "http://h:1;user=T1;secret=00ff;org=370800001",
            ("http://h:1", "T1", b"\x00\xff", "370800001"),
        ),
        ("sichuan", "http://h:1;app=T1;secret=00ff", ("http://h:1", "T1", b"\x00\xff", "ECB")),
        ("sichuan", "http://h:1;app=T1;secret=00ff;aes=cbc", ("http://h:1", "T1", b"\x00\xff", "CBC")),
    ],
)
def test_inline_targets_parse(module, spec, expected):
    import importlib

    assert importlib.import_module(f"conformance_tests.adapters.{module}").parse_spec(spec) == expected


@pytest.mark.parametrize(
    ("module", "spec"),
    [
        ("qinghai", "h:1;user=T1;secret=00;org=1"),  # no scheme
        ("qinghai", "http://h:1;user=T1;org=1"),  # no secret
        ("qinghai", "http://h:1;user=T1;secret=zz;org=1"),  # not hex
        ("sichuan", "http://h:1;secret=00"),  # no app
        ("sichuan", "http://h:1;app=T1;secret=00;aes=GCM"),
    ],
)
def test_bad_inline_targets_are_usage_errors(module, spec):
    import importlib

    from conformance_tests.errors import ADAPTER_UNKNOWN
    from ehc.errors import EhcError

    with pytest.raises(EhcError) as info:
        importlib.import_module(f"conformance_tests.adapters.{module}").parse_spec(spec)
    assert info.value.code == ADAPTER_UNKNOWN
