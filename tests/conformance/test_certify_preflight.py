"""`ehc certify` checks its inputs before any test: usage mistakes exit 2, a device that is not
there exits 3, each with ONE line on stderr and no report directory."""

from __future__ import annotations

import json
import socket
import sys

import pytest
from click.testing import CliRunner

from conformance_tests.cli import certify


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def client_file(tmp_path):
    from reference_node.client import Credentials

    # four different terminals: two of organisation A, one of B, the operator (a complete file)
    creds = {
        "terminal": Credentials("3708000000015500", b"\x01" * 32, "370800000001"),
        "peer": Credentials("3708000000015600", b"\x02" * 32, "370800000001"),
        "foreign": Credentials("3708000000025500", b"\x03" * 32, "370800000002"),
        "admin": Credentials("370800000000ADMIN", b"\x04" * 32, "370800000000"),
    }
    path = tmp_path / "client.json"
    doc = {"target": "x:1", **{role: cred.to_dict() for role, cred in creds.items()}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    path.chmod(0o600)  # client files holding a secret must be private (NODE_FILE_PERMISSIONS)
    return path


def _certify(tmp_path, *args: str):
    out = tmp_path / "report"
    result = CliRunner().invoke(certify, [*args, "--out", str(out), "--quiet"])
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    return result, lines, out


def _assert_stopped(result, lines, out, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert len(lines) == 1, lines
    assert all(w in lines[0] for w in words), lines[0]
    assert "PASS" not in result.stdout and "FAIL" not in result.stdout, result.stdout  # no test ran
    assert not out.exists(), "a report was written"


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("127.0.0.1:50051", ("no client file", "client=FILE", "ca=FILE")),
        ("127.0.0.1:50051;client={missing}", ("cannot be read",)),
        ("127.0.0.1:50051;client={notjson}", ("not an ehc node client file",)),
        ("127.0.0.1;client={client}", ("is not HOST:PORT",)),
        ("127.0.0.1:99999;client={client}", ("is not HOST:PORT",)),
        ("127.0.0.1:50051;client={client};cafile=x", ("'cafile=x' is not one of",)),
        ("127.0.0.1:50051;client={client};client={client}", ("client= given twice",)),
        ("127.0.0.1:50051;client={client};ca={missing}", ("TLS file", "cannot be read")),
        ("127.0.0.1:50051;client={client};ca={notjson}", ("is not a PEM file",)),
        ("127.0.0.1:50051;client={client};cert={notjson}", ("go together",)),
    ],
)
def test_node_usage_mistakes_exit_2(tmp_path, client_file, target, words):
    notjson = tmp_path / "notjson.txt"
    notjson.write_text("not json\n", encoding="utf-8")
    notjson.chmod(0o600)  # private, so the parse error (not NODE_FILE_PERMISSIONS) is what stops it
    spec = target.format(client=client_file, missing=tmp_path / "missing.json", notjson=notjson)
    _assert_stopped(*_certify(tmp_path, "node", "--target", spec), 2, "ehc certify node:", *words)


def test_client_file_without_the_identities_exits_2(tmp_path, client_file):
    doc = json.loads(client_file.read_text(encoding="utf-8"))
    del doc["foreign"]
    client_file.write_text(json.dumps(doc), encoding="utf-8")
    spec = f"127.0.0.1:{_free_port()};client={client_file}"
    _assert_stopped(*_certify(tmp_path, "node", "--target", spec), 2, "foreign", "identities")


@pytest.mark.parametrize(
    ("option", "text", "words"),
    [
        ("--declaration", "[dut\nname=", ("--declaration",)),
        (
            "--declaration",
            '[dut]\nname = "x"\n\n[claims]\nroles = ["codec"]\n',
            ("claims roles codec, not node",),
        ),
        ("--waivers", "this is = not [ toml", ("--waivers",)),
        ("--profile", None, ("--profile", "no profile")),
        ("--today", None, ("--today", "YYYY-MM-DD")),
    ],
)
def test_bad_options_exit_2_before_the_node_is_started(tmp_path, option, text, words):
    if text is None:
        value = "no-such-profile" if option == "--profile" else "31/12/2026"
    else:
        path = tmp_path / "file.toml"
        path.write_text(text, encoding="utf-8")
        value = str(path)
    _assert_stopped(*_certify(tmp_path, "node", option, value), 2, *words)


def test_node_that_does_not_answer_exits_3(tmp_path, client_file):
    spec = f"127.0.0.1:{_free_port()};client={client_file}"
    result, lines, out = _certify(tmp_path, "node", "--target", spec)
    _assert_stopped(result, lines, out, 3, "does not answer the gRPC health check", "plaintext")


def test_terminal_driver_not_found_exits_3(tmp_path):
    result = _certify(tmp_path, "terminal", "--driver", "no-such-driver-ehc --flag")
    _assert_stopped(*result, 3, "'no-such-driver-ehc' not found")


def test_terminal_driver_exiting_at_once_exits_3(tmp_path):
    driver = f"{sys.executable} -c \"raise SystemExit('driver: no config')\""
    result = _certify(tmp_path, "terminal", "--driver", driver)
    _assert_stopped(*result, 3, "exited at once with code 1", "driver: no config")


def test_his_driver_not_found_and_bad_listen(tmp_path):
    _assert_stopped(*_certify(tmp_path, "his", "--driver", "no-such-his-driver"), 3, "not found")
    _assert_stopped(*_certify(tmp_path, "his", "--listen", "nohost"), 2, "--listen", "HOST:PORT")


@pytest.mark.parametrize("role", ["card", "psam"])
def test_missing_reader_exits_3(tmp_path, role):
    # Without pcscd: "no PC/SC service answers"; with it: "no card reader named ..."
    result, lines, out = _certify(tmp_path, role, "--reader", "No Such Reader 00;psam=No Such PSAM 01")
    _assert_stopped(result, lines, out, 3)
    assert "pcscd" in lines[0] or "No Such Reader 00" in lines[0], lines[0]


def test_unknown_vendor_module_exits_2(tmp_path):
    result = _certify(tmp_path, "codec", "--parser", "module:no_such_vendor_pkg.codec:make")
    _assert_stopped(*result, 2, "no_such_vendor_pkg")


def test_help_shows_the_full_target_syntax():
    result = CliRunner().invoke(certify, ["node", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    assert "HOST:PORT;client=FILE[;ca=FILE][;cert=FILE;key=FILE][;name=SERVER_NAME][;tls=on]" in text
    for role, word in (("card", "psam=PSAM_READER"), ("terminal", "COMMAND ARGS"), ("his", "COMMAND ARGS")):
        shown = " ".join(CliRunner().invoke(certify, [role, "--help"], terminal_width=200).output.split())
        assert word in shown, (role, shown)
