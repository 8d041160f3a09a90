"""HSM key handling, main-index ids, generated-code freshness, health and reflection, masked logs."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from hypothesis import given, settings
from hypothesis import strategies as st
from node_helpers import citizen_id, register_request

from ehc.errors import EhcError
from qr_codec import ehcid as ehcid_mod
from reference_node.hsm import SoftwareHsm, init_key_file
from reference_node.observability import setup_logging
from reference_node.proto import generate

SERVICES = {
    "ehc.node.v1.IssuanceService",
    "ehc.node.v1.MainIndexService",
    "ehc.node.v1.VerificationService",
    "ehc.node.v1.UsageService",
    "ehc.node.v1.RegistryService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
}


@pytest.fixture(scope="module")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> SoftwareHsm:
    path = init_key_file(tmp_path_factory.mktemp("keys") / "keys.json")
    return SoftwareHsm.from_file(path)


def test_key_file_is_private_and_never_overwritten(tmp_path: Path):
    path = init_key_file(tmp_path / "k.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(EhcError) as info:
        init_key_file(path)
    assert info.value.code.name == "NODE_KEYS_MISSING"
    doc = json.loads(path.read_text())
    assert "TEST-ONLY" in doc["label"]
    hsm = SoftwareHsm.from_file(path)
    for value in doc["keys"].values():
        assert value not in repr(hsm) and value not in str(hsm)


def test_broken_key_file_is_a_coded_error(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"keys": {"root_key": "00"}, "test_only": true}')
    bad.chmod(0o600)  # a group-readable key file is refused before it is read (NODE_FILE_PERMISSIONS)
    with pytest.raises(EhcError) as info:
        SoftwareHsm.from_file(bad)
    assert info.value.code.name == "NODE_KEYS_MISSING"


@settings(max_examples=30)
@given(seq=st.integers(0, 999))
def test_main_index_is_deterministic_and_secret_salted(hsm, tmp_path_factory, seq):
    number = citizen_id()
    mi = hsm.main_index("370800", "01", number)
    assert len(mi) == 64 and mi == mi.upper() and bytes.fromhex(mi)
    assert hsm.main_index("370800", "01", number) == mi
    assert hsm.main_index("370800", "01", number.lower()) == mi  # normalised (x -> X)
    assert hsm.main_index("510700", "01", number) != mi  # per node


def test_ehcid_is_the_national_derivation(hsm):
    number = citizen_id()
    mi = hsm.main_index("370800", "01", number)
    ehcid = hsm.derive_ehcid(mi, "01", number)
    assert hsm.recover_identity(ehcid, mi) == ("01", number)
    assert len(ehcid) == 64
    # recomputed with the kit's independent qr_codec implementation and the key file's root key
    assert ehcid == ehcid_mod.derive_ehcid(bytes.fromhex(mi), hsm._k["root_key"], "01", number)


def test_generated_code_is_fresh(tmp_path: Path):
    """Regenerate with grpc_tools.protoc into a temp dir; the committed files must be identical."""
    pytest.importorskip("grpc_tools", reason="grpcio-tools is needed to check generated code freshness")
    written = generate.generate(tmp_path)
    assert written
    for path in written:
        committed = generate.PACKAGE_DIR / path.name
        assert committed.exists(), f"{path.name} not committed: run python -m reference_node.proto.generate"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{path.name} stale: run python -m reference_node.proto.generate"
        )


def test_health_and_reflection(running):
    with grpc.insecure_channel(running.target) as ch:
        health = health_pb2_grpc.HealthStub(ch)
        for name in ("", "ehc.node.v1.VerificationService"):
            assert (
                health.Check(health_pb2.HealthCheckRequest(service=name)).status
                == health_pb2.HealthCheckResponse.SERVING
            )
        refl = reflection_pb2_grpc.ServerReflectionStub(ch)
        (resp,) = list(
            refl.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        )
        names = {s.name for s in resp.list_services_response.service}
        assert names >= SERVICES
        (resp,) = list(
            refl.ServerReflectionInfo(
                iter(
                    [
                        reflection_pb2.ServerReflectionRequest(
                            file_containing_symbol="ehc.node.v1.VerificationService"
                        )
                    ]
                )
            )
        )
        assert resp.file_descriptor_response.file_descriptor_proto


def test_logs_are_json_and_mask_identifiers(running, client):
    stream = io.StringIO()
    logger = setup_logging("INFO")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.handlers[0].formatter)
    logger.addHandler(handler)
    try:
        number = citizen_id()
        client.issuance.Register(register_request(number))
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line["msg"] == "register" for line in lines)
    assert number not in stream.getvalue()
    assert any(line.get("doc", "").startswith(number[:6]) and "*" in line.get("doc", "") for line in lines)
