"""Findings in packages whose engineers were still at work, with the exact reproducer: open ones as
strict xfails (each flips to XPASS — a failure — once fixed, and the marker is then removed), fixed
ones as plain regression tests."""

from __future__ import annotations

import json

import pytest

from ehc.errors import EhcError


@pytest.fixture
def card_image(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
    import _cards

    path = tmp_path / "card.json"
    _cards.fresh("card").save(path)
    return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("size", [1e308, 10**30])
def test_card_image_with_an_absurd_file_size_is_refused(card_image, size):
    """REL-F4 (fixed): found by fuzz/fuzz_card_data.py; vector fuzz/regressions/card_data/."""
    from card_emulators.personalise import load_card

    path, image = card_image
    entry = next(f for f in image["files"] if f["type"] == "transparent")
    entry["size"] = size
    path.write_text(json.dumps(image), encoding="utf-8")
    with pytest.raises(EhcError) as info:
        load_card(path)
    assert info.value.code.name == "CARD_BAD_IMAGE"


def test_wedge_diagnosis_of_a_long_line_is_linear():
    """REL-F3 (fixed): the diagnosis tried every insertion and substitution whatever the length
    (quadratic: a 4,000-character line took ~1.1 s; validator calls grew as 33 x length)."""
    from card_emulators.readers.wedge import national_qr_form, parse_wedge_stream

    calls = [0]

    def counting(text: str) -> bool:
        calls[0] += 1
        return national_qr_form(text)

    line = "A" * 2000
    scans = parse_wedge_stream(line + "\r", validator=counting)
    assert len(scans) == 1 and not scans[0].ok
    assert calls[0] <= 2 * len(line) + 10, calls[0]


# REL-F12 (found by fuzz/fuzz_kit_files.py; fixed here after the conformance engineer's last commit):
# a non-UTF-8 file escaped as UnicodeDecodeError, a non-table waiver entry as AttributeError.
@pytest.mark.parametrize(
    "loader,content",
    [
        ("waivers", b'[[wai\x8f\x9ar]]\nrequirement = "SEC-002"\n'),
        ("declaration", b'[dut]\nname = "\xff\xfe"\n'),
        ("waivers", b"waiver = [1]\n"),
        ("waivers", b'[waiver]\nrequirement = "SEC-002"\n'),
    ],
)
def test_malformed_declaration_or_waivers_file_is_refused_with_a_kit_code(tmp_path, loader, content):
    from conformance_tests.catalogue import default_catalogue
    from conformance_tests.declaration import load_declaration
    from conformance_tests.waivers import load_waivers

    path = tmp_path / "input.toml"
    path.write_bytes(content)
    load = load_waivers if loader == "waivers" else load_declaration
    with pytest.raises(EhcError):
        load(path, default_catalogue())


# REL-F13 (found by fuzz/fuzz_kit_files.py, fixed likewise): a tampered manifest entry escaped
# verify_directory as KeyError.
def test_tampered_report_manifest_is_reported_not_crashed(tmp_path):
    from conformance_tests.reportsign import sign_directory, verify_directory
    from ehc.gm import SM2PrivateKey

    (tmp_path / "report.json").write_text('{"verdict": "pass"}')
    sign_directory(tmp_path, SM2PrivateKey.from_int(0xFEED), "TEST-ONLY lab", True)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"size"', '"siz]"'))
    try:
        result = verify_directory(tmp_path)
    except EhcError:
        return  # refusing the directory is a fine answer
    assert not result.signature_ok


# REL-F14 (found by fuzz/fuzz_node_requests.py, fixed after the node engineer's last commit): a
# non-ASCII x-ehc-signature made hmac.compare_digest raise TypeError: 500 NODE_INTERNAL on REST.
def test_non_ascii_signature_header_is_refused_with_401(tmp_path):
    import httpx

    from reference_node.auth import sign
    from reference_node.testing import start_node

    node = start_node(tmp_path, http=True)
    try:
        cred = node.credentials
        headers = sign(cred.secret, "POST /v1/usage", b"{}", terminal_id=cred.terminal_id)
        headers["x-ehc-signature"] = "\u00e9" * 64
        r = httpx.post(
            f"http://127.0.0.1:{node.http_port}/v1/usage",
            content=b"{}",
            headers={k: v.encode("latin-1") for k, v in headers.items()},
            timeout=30,
        )
        assert r.status_code == 401, (r.status_code, r.text)
    finally:
        node.stop()
