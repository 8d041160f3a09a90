"""Typed models of the kit's files (issue #17): profiles, declarations, waivers and the catalogue.

Property tests feed malformed documents (a valid one with a value replaced by any TOML value, a key
removed or an unknown key added, at any depth; or its text with bytes changed) to each loader: the
answer is the document loaded or the loader's kit error code with a message naming the file —
never a pydantic ValidationError, a traceback or another exception. Example-based tests pin the
wording (field path, expected value, value given, what to do next).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance_tests.catalogue import REQUIREMENTS_DIR, VOCABULARY_FILE, load_catalogue
from conformance_tests.declaration import load_declaration
from conformance_tests.profiles import load_profile
from conformance_tests.waivers import load_waivers
from ehc.errors import EhcError
from ehc.profiles import PROFILES_DIR, load_profile_data, read_profile_file

SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
LEAKS = ("pydantic", "validation error for", "Traceback", "errors.pydantic.dev", "input_value=")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# ---------------------------------------------------------------- TOML writing and mutation
def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string (a lone surrogate's escape is a TOML error: fine)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_value(x)}" for k, x in v.items()) + "}"


def to_toml(doc: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {_value(v)}\n" for k, v in doc.items())


SCALARS = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.dates()
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def _positions(node: Any, path: tuple = ()) -> list[tuple]:
    """Every (container path) of a document: tables and arrays, the root included."""
    out = [path]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        if isinstance(child, dict | list):
            out += _positions(child, (*path, key))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_positions(doc)))
        node: Any = doc
        for key in path:
            node = node[key]
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        action = draw(st.sampled_from(["replace", "delete", "add"] if keys else ["add"]))
        if action == "add":
            if isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
            else:
                node.append(draw(VALUES))
        else:
            key = draw(st.sampled_from(keys))
            if action == "replace":
                node[key] = draw(VALUES)
            else:
                del node[key]
    return doc


def _refused_cleanly(err: EhcError, codes: set[str], file: str) -> None:
    assert err.code.name in codes, (err.code.name, err.message)
    assert err.message and file in err.message, err.message
    for leak in LEAKS:
        assert leak not in err.message, err.message


# ---------------------------------------------------------------- valid documents
DECLARATION = {
    "dut": {"name": "Acme X1", "vendor": "Acme", "version": "2.4.1"},
    "claims": {
        "roles": ["node"],
        "media": ["ehc-qr-static", "id-card"],
        "features": ["static-code", "usage-report"],
        "optional": ["QR-TEXT-011"],
    },
    "not_claimed": {"ID-004": "legacy 15-digit numbers are converted upstream"},
    "declared": {"dynamic_code.clock_skew_seconds": 2},
}
WAIVERS = {
    "waiver": [
        {"requirement": "QR-TEXT-004", "test": "test_negative", "reason": "vendor ticket 42", "expires": dt.date(2030, 1, 1)},
        {"requirement": "QR-IMG-002", "reason": "autofocus below 220 px", "expires": "2031-02-03"},
    ]
}  # fmt: skip


def _requirements_base() -> dict[str, Any]:
    qr = tomllib.loads((REQUIREMENTS_DIR / "qr.toml").read_text(encoding="utf-8"))
    return {"requirement": qr["requirement"][:2]}


def _profile_base() -> dict[str, Any]:
    return tomllib.loads((PROFILES_DIR / "zibo.toml").read_text(encoding="utf-8"))


def test_the_valid_documents_load(tmp_path, catalogue):
    (tmp_path / "ics.toml").write_text(to_toml(DECLARATION), encoding="utf-8")
    assert load_declaration(tmp_path / "ics.toml", catalogue).not_claimed == DECLARATION["not_claimed"]
    (tmp_path / "w.toml").write_text(to_toml(WAIVERS), encoding="utf-8")
    waivers = load_waivers(tmp_path / "w.toml", catalogue)
    assert [w.expires for w in waivers] == [dt.date(2030, 1, 1), dt.date(2031, 2, 3)]
    d = _requirements_dir(tmp_path / "req", _requirements_base())
    assert len(load_catalogue(d)) == 2
    p = _profiles_dir(tmp_path / "prof", _profile_base())
    assert load_profile_data("zibo", p).param("area.city") == load_profile_data("zibo").param("area.city")


# ---------------------------------------------------------------- property tests per loader
@SETTINGS
@given(doc=mutated(DECLARATION))
def test_a_malformed_declaration_is_a_kit_error(catalogue, doc):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "ics.toml"
        path.write_text(to_toml(doc), encoding="utf-8")
        try:
            load_declaration(path, catalogue)
        except EhcError as err:
            _refused_cleanly(err, {"DECLARATION_INVALID"}, "ics.toml")


@SETTINGS
@given(doc=mutated(WAIVERS))
def test_a_malformed_waiver_file_is_a_kit_error(catalogue, doc):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "w.toml"
        path.write_text(to_toml(doc), encoding="utf-8")
        try:
            load_waivers(path, catalogue)
        except EhcError as err:
            _refused_cleanly(err, {"WAIVERS_INVALID"}, "w.toml")


def _requirements_dir(d: Path, doc: dict[str, Any]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(REQUIREMENTS_DIR / VOCABULARY_FILE, d / VOCABULARY_FILE)
    (d / "extra.toml").write_text(to_toml(doc), encoding="utf-8")
    return d


@SETTINGS
@given(doc=mutated(_requirements_base()))
def test_a_malformed_requirements_file_is_a_kit_error(doc):
    with tempfile.TemporaryDirectory() as d:
        try:
            load_catalogue(_requirements_dir(Path(d), doc))
        except EhcError as err:
            _refused_cleanly(err, {"CATALOGUE_INVALID"}, "extra.toml")


def _profiles_dir(d: Path, doc: dict[str, Any]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for p in PROFILES_DIR.glob("*.toml"):
        shutil.copy(p, d / p.name)
    (d / "zibo.toml").write_text(to_toml(doc), encoding="utf-8")
    return d


@SETTINGS
@given(doc=mutated(_profile_base()))
def test_a_malformed_profile_is_a_kit_error_in_both_layers(catalogue, doc):
    with tempfile.TemporaryDirectory() as d:
        folder = _profiles_dir(Path(d), doc)
        try:
            load_profile_data("zibo", folder)  # what the node reads (ehc layer)
        except EhcError as err:
            _refused_cleanly(err, {"PROFILE_FILE_INVALID", "PROFILE_FILE_UNKNOWN"}, "")
        try:
            load_profile("zibo", catalogue, folder)  # what a certification reads
        except EhcError as err:
            _refused_cleanly(err, {"PROFILE_INVALID", "PROFILE_UNKNOWN"}, "")


@SETTINGS
@given(
    which=st.sampled_from(["declaration", "waivers", "requirements", "profile"]),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=3)), min_size=1, max_size=4),
)
def test_damaged_bytes_are_a_kit_error(catalogue, which, edits):
    base = {
        "declaration": DECLARATION,
        "waivers": WAIVERS,
        "requirements": _requirements_base(),
        "profile": _profile_base(),
    }[which]
    raw = bytearray(to_toml(base).encode())
    for at, new in edits:  # each edit replaces one byte (or inserts/deletes) at a position
        at %= len(raw) + 1
        raw[at : at + 1] = new
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        try:
            if which == "declaration":
                (folder / "ics.toml").write_bytes(raw)
                load_declaration(folder / "ics.toml", catalogue)
            elif which == "waivers":
                (folder / "w.toml").write_bytes(raw)
                load_waivers(folder / "w.toml", catalogue)
            elif which == "requirements":
                _requirements_dir(folder, {})
                (folder / "extra.toml").write_bytes(raw)
                load_catalogue(folder)
            else:
                _profiles_dir(folder, {})
                (folder / "zibo.toml").write_bytes(raw)
                read_profile_file("zibo", folder)
        except EhcError as err:
            codes = {"DECLARATION_INVALID", "WAIVERS_INVALID", "CATALOGUE_INVALID", "PROFILE_FILE_INVALID"}
            _refused_cleanly(err, codes, "")


# ---------------------------------------------------------------- the wording
def _message(fn, *args) -> str:  # noqa: ANN001
    with pytest.raises(EhcError) as err:
        fn(*args)
    return err.value.message


def test_messages_name_the_field_the_expected_value_and_what_to_do(tmp_path, catalogue):
    doc = copy.deepcopy(DECLARATION)
    doc["claims"]["roles"] = ["node", "toaster"]
    doc["claims"]["media"] = ["ehc-qr-static", 7]
    doc["clams"] = {}
    path = tmp_path / "ics.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    message = _message(load_declaration, path, catalogue)
    assert "ics.toml: claims.roles: unknown role 'toaster' (known: card, codec" in message
    assert "ics.toml: claims.media[1] must be a string, not 7" in message
    assert "unknown field 'clams' (allowed here: dut, claims, exclusions, not_claimed, declared)" in message
    assert message.endswith("See docs/certification.md §3 for the declaration format")

    waivers = {
        "waiver": [{"requirement": "QR-TEXT-004", "reason": "vendor ticket 42", "expires": "31/12/2030"}]
    }
    (tmp_path / "w.toml").write_text(to_toml(waivers), encoding="utf-8")
    message = _message(load_waivers, tmp_path / "w.toml", catalogue)
    assert "w.toml: waiver[0].expires must be YYYY-MM-DD, not '31/12/2030'" in message

    profile = _profile_base()
    profile["parameters"]["dynamic_code"] = {"lifetime_seconds": 0}
    profile["paramters"] = {}
    folder = _profiles_dir(tmp_path / "p", profile)
    message = _message(read_profile_file, "zibo", folder)
    assert "zibo.toml: parameters.dynamic_code.lifetime_seconds must be > 0, not 0" in message
    assert "unknown field 'paramters' (allowed here: profile, select, parameters)" in message
    profile = _profile_base()
    profile["profile"]["name"] = "zibbo"
    profile["select"]["exclude"] = [{"id": "QR-TEXT-011"}]
    folder = _profiles_dir(tmp_path / "p2", profile)
    message = _message(read_profile_file, "zibo", folder)
    assert "zibo.toml: profile.name must be 'zibo' (the file name), not 'zibbo'" in message
    assert "zibo.toml: select.exclude: entries are requirement ids or {id, reason} tables" in message


def test_identifiers_in_a_bad_value_are_masked(tmp_path, catalogue):
    doc = copy.deepcopy(DECLARATION)
    doc["claims"]["roles"] = [11010519491231002]  # an ID number where a role belongs
    path = tmp_path / "ics.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    message = _message(load_declaration, path, catalogue)
    assert "11010519491231002" not in message and "110105*******1002" in message, message


def test_a_misspelt_table_no_longer_drops_requirements_silently(tmp_path):
    base = _requirements_base()
    d = _requirements_dir(tmp_path, {"requirment": base["requirement"]})
    message = _message(load_catalogue, d)
    assert "extra.toml: unknown field 'requirment' (allowed here: requirement)" in message
