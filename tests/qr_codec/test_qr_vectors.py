"""The kit's codec against the shipped vectors (computed with gmssl, not with qr_codec)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ehc.errors import EhcError
from fixtures.vectors import load
from qr_codec import errors as qe
from qr_codec.ehcid import derive_ehcid, derive_user_key, recover_identity
from qr_codec.text import (
    CHINA_STANDARD_TIME,
    QrPolicy,
    accept_opaque,
    format_stamp,
    open_validity,
    parse,
    seal_validity,
    valid_until_for,
)

QR = load("qr_text")
EHCID = load("ehcid")


def _cases(data: dict, group_type: str) -> list:
    return [
        pytest.param(group, test, id=f"tc{test['tcId']}")
        for group in data["testGroups"]
        if group["type"] == group_type
        for test in group["tests"]
    ]


def _clock(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%d%H%M%S")


def test_vector_files_are_big_enough_and_numbered_uniquely() -> None:
    ids = [t["tcId"] for g in QR["testGroups"] for t in g["tests"]]
    assert len(ids) >= 60 and len(ids) == len(set(ids)) == QR["numberOfTests"]
    ids = [t["tcId"] for g in EHCID["testGroups"] for t in g["tests"]]
    assert len(ids) == len(set(ids)) == EHCID["numberOfTests"]


def test_every_text_and_opaque_error_code_has_a_vector() -> None:
    used = {t["error"] for g in QR["testGroups"] for t in g["tests"] if t["result"] == "invalid"}
    wanted = {c.name for c in qe.PARSE_CODES} | {
        "QR_BAD_PROTECT_KEY",
        "QR_BAD_VALIDITY_TIME",
        "QR_BAD_LIFETIME",
        "OPAQUE_EMPTY",
        "OPAQUE_TOO_LONG",
        "OPAQUE_NOT_PRINTABLE",
    }
    assert wanted <= used, f"codes without a vector: {sorted(wanted - used)}"


def test_every_derivation_error_code_has_a_vector() -> None:
    used = {t["error"] for g in EHCID["testGroups"] for t in g["tests"] if t["result"] == "invalid"}
    wanted = {c for c in dir(qe) if c.startswith("EHCID_")}
    assert wanted <= used, f"codes without a vector: {sorted(wanted - used)}"


@pytest.mark.parametrize(("group", "test"), _cases(QR, "parse"))
def test_parse_vector(group: dict, test: dict) -> None:
    policy = QrPolicy(
        clock_skew=timedelta(seconds=group["clockSkewSeconds"]),
        max_lifetime=timedelta(seconds=group["maxLifetimeSeconds"]),
        ehcid_hex_lengths=tuple(group["ehcidHexLengths"]),
    )
    key = bytes.fromhex(group["protectKey"]) if group["protectKey"] else None
    now = _clock(group["validationClock"])
    if test["result"] == "valid":
        code = parse(test["input"], key, now, policy=policy)
        exp = test["expected"]
        assert code.kind == exp["kind"]
        assert code.ehcid == exp["ehcid"]
        assert code.validity_field == exp["validityField"]
        got_until = format_stamp(code.valid_until) if code.valid_until else None
        assert got_until == exp["validUntil"]
        if code.valid_until:
            assert code.valid_until.utcoffset() == CHINA_STANDARD_TIME.utcoffset(None)
    else:
        with pytest.raises(EhcError) as exc:
            parse(test["input"], key, now, policy=policy)
        assert exc.value.code.name == test["error"], test["comment"]
        assert exc.value.code.layer == test["stage"]  # the stage named by the vector rejected it


@pytest.mark.parametrize(("group", "test"), _cases(QR, "opaque"))
def test_opaque_vector(group: dict, test: dict) -> None:
    if test["result"] == "valid":
        assert accept_opaque(test["input"], group["maxLength"]).text == test["expected"]["text"]
    else:
        with pytest.raises(EhcError) as exc:
            accept_opaque(test["input"], group["maxLength"])
        assert exc.value.code.name == test["error"]


@pytest.mark.parametrize(("group", "test"), _cases(QR, "seal"))
def test_seal_vector(group: dict, test: dict) -> None:
    key = bytes.fromhex(group["protectKey"])
    when = _clock(test["validUntil"])
    if test["utcOffsetMinutes"] is not None:
        when = when.replace(tzinfo=timezone(timedelta(minutes=test["utcOffsetMinutes"])))
    if test["result"] == "valid":
        v = seal_validity(key, when)
        assert v == test["expected"]["validityField"]
        assert format_stamp(open_validity(key, v)) == test["expected"]["platformTime"]
    else:
        with pytest.raises(EhcError) as exc:
            seal_validity(key, when)
        assert exc.value.code.name == test["error"]


@pytest.mark.parametrize(("group", "test"), _cases(QR, "lifetime"))
def test_lifetime_vector(group: dict, test: dict) -> None:
    policy = QrPolicy(max_lifetime=timedelta(seconds=group["maxLifetimeSeconds"]))
    issued, lifetime = _clock(test["issuedAt"]), timedelta(seconds=test["lifetimeSeconds"])
    if test["result"] == "valid":
        got = valid_until_for(issued, lifetime, policy=policy)
        assert format_stamp(got) == test["expected"]["validUntil"]
    else:
        with pytest.raises(EhcError) as exc:
            valid_until_for(issued, lifetime, policy=policy)
        assert exc.value.code.name == test["error"]


@pytest.mark.parametrize(("group", "test"), _cases(EHCID, "derive"))
def test_derive_vector(group: dict, test: dict) -> None:
    root = bytes.fromhex(group["rootKey"])
    main_index = bytes.fromhex(test["mainIndex"])
    if test["result"] == "valid":
        assert derive_user_key(main_index, root).hex().upper() == test["userKey"]
        assert derive_ehcid(main_index, root, test["docType"], test["docNumber"]) == test["ehcid"]
        assert recover_identity(test["ehcid"], main_index, root) == (test["docType"], test["docNumber"])
    else:
        with pytest.raises(EhcError) as exc:
            derive_ehcid(main_index, root, test["docType"], test["docNumber"])
        assert exc.value.code.name == test["error"], test["comment"]


@pytest.mark.parametrize(("group", "test"), _cases(EHCID, "recover"))
def test_recover_vector(group: dict, test: dict) -> None:
    root = bytes.fromhex(EHCID["keys"][test["rootKeyLabel"]])
    with pytest.raises(EhcError) as exc:
        recover_identity(test["ehcid"], bytes.fromhex(test["mainIndex"]), root)
    assert exc.value.code.name == test["error"], test["comment"]


def test_committed_vectors_are_what_the_generator_writes() -> None:
    """The JSON files are not hand-edited: regenerating (with gmssl) gives the same bytes."""
    import json

    from fixtures.vectors import VECTOR_DIR
    from fixtures.vectors import generate_qr_vectors as gen

    for name, data in (("ehcid", gen.ehcid_vectors()), ("qr_text", gen.qr_vectors())):
        fresh = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        assert fresh == (VECTOR_DIR / f"{name}.json").read_text("utf-8"), (
            f"{name}.json is stale: rerun the generator"
        )


# ---- mutants: plausible mis-implementations of the validity field must fail some vector ------
def _seal_ascii(key: bytes, stamp: str) -> str:
    from ehc.gm import sm4_ecb_encrypt

    return sm4_ecb_encrypt(key, stamp.encode()[:14] + bytes(2)).hex().upper()


def _seal_pkcs7(key: bytes, stamp: str) -> str:
    from ehc.gm import sm4_ecb_encrypt

    return sm4_ecb_encrypt(key, bytes.fromhex(stamp) + bytes([9]) * 9).hex().upper()


def _seal_lower(key: bytes, stamp: str) -> str:
    from ehc.gm import sm4_ecb_encrypt

    return sm4_ecb_encrypt(key, bytes.fromhex(stamp) + bytes(9)).hex()


def _seal_two_digit_year(key: bytes, stamp: str) -> str:
    from ehc.gm import sm4_ecb_encrypt

    return sm4_ecb_encrypt(key, bytes.fromhex(stamp[2:]) + bytes(10)).hex().upper()


@pytest.mark.parametrize("mutant", [_seal_ascii, _seal_pkcs7, _seal_lower, _seal_two_digit_year])
def test_seal_vectors_catch_a_broken_rule(mutant) -> None:
    (group,) = [g for g in QR["testGroups"] if g["type"] == "seal"]
    key = bytes.fromhex(group["protectKey"])
    valid = [t for t in group["tests"] if t["result"] == "valid"]
    caught = [
        t for t in valid if mutant(key, t["expected"]["platformTime"]) != t["expected"]["validityField"]
    ]
    assert caught, f"{mutant.__name__} passes every seal vector"


def _lenient_parse(text: str, key: bytes, now: datetime, policy: QrPolicy):
    """A verifier that upper-cases input first: the vectors must flag it."""
    return parse(text.upper(), key, now, policy=policy)


def test_parse_vectors_catch_a_lenient_verifier() -> None:
    caught = []
    for group, test in (p.values for p in _cases(QR, "parse")):
        if test["result"] != "invalid" or group["protectKey"] is None or len(group["protectKey"]) != 32:
            continue
        policy = QrPolicy(
            clock_skew=timedelta(seconds=group["clockSkewSeconds"]),
            ehcid_hex_lengths=tuple(group["ehcidHexLengths"]),
        )
        try:
            _lenient_parse(
                test["input"], bytes.fromhex(group["protectKey"]), _clock(group["validationClock"]), policy
            )
            caught.append(test["tcId"])
        except EhcError:
            pass
    assert caught, "no vector distinguishes a verifier that upper-cases its input"
