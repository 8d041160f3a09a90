"""EHCID derivation: round trips, an independent SM4 cross-check, input rules, broken-rule mutants."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from gmssl.sm4 import SM4_ENCRYPT, CryptSM4
from hypothesis import given, settings
from hypothesis import strategies as st

from ehc.errors import EhcError
from ehc.spec.identifiers import make_citizen_id
from fixtures.vectors import load
from qr_codec import ehcid as E

ROOT = bytes.fromhex("00112233445566778899AABBCCDDEEFF")  # TEST-ONLY
printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60)
doc_types = st.from_regex(r"\A[0-9]{2}\Z")


def gm_sm4(key: bytes, data: bytes) -> bytes:
    c = CryptSM4(padding_mode=-1)  # no padding
    c.set_key(key, SM4_ENCRYPT)
    return bytes(c.crypt_ecb(data))


def independent_ehcid(m: bytes, root: bytes, t: str, n: str) -> str:
    f = bytes(a ^ b ^ c ^ d for a, b, c, d in zip(m[0:8], m[8:16], m[16:24], m[24:32], strict=True))
    uk = gm_sm4(root, f + bytes(x ^ 0xFF for x in f))
    p = (t + n).encode()
    return gm_sm4(uk, p + bytes(-len(p) % 16)).hex().upper()


@settings(max_examples=150)
@given(
    m=st.binary(min_size=32, max_size=32), root=st.binary(min_size=16, max_size=16), t=doc_types, n=printable
)
def test_derive_then_recover_gives_back_the_document(m: bytes, root: bytes, t: str, n: str) -> None:
    if t in E.ID_NUMBER_DOC_TYPES:
        n = n.replace("x", "X")
    ehcid = E.derive_ehcid(m, root, t, n)
    assert len(ehcid) == 32 * -(-(len(n) + 2) // 16)
    assert E.recover_identity(ehcid, m, root) == (t, n)


@settings(max_examples=25)
@given(m=st.binary(min_size=32, max_size=32), root=st.binary(min_size=16, max_size=16), n=printable)
def test_matches_independent_pure_python_sm4(m: bytes, root: bytes, n: str) -> None:
    assert E.derive_ehcid(m, root, "99", n) == independent_ehcid(m, root, "99", n)


@settings(max_examples=60)
@given(m1=st.binary(min_size=32, max_size=32), m2=st.binary(min_size=32, max_size=32))
def test_other_main_index_does_not_recover(m1: bytes, m2: bytes) -> None:
    ehcid = E.derive_ehcid(m1, ROOT, "01", make_citizen_id("370802", date(1990, 1, 1), 123))
    if E.derive_user_key(m1, ROOT) == E.derive_user_key(m2, ROOT):
        return  # same XOR fold: the same user key by design
    with pytest.raises(EhcError) as exc:
        E.recover_identity(ehcid, m2, ROOT)
    assert exc.value.code is E.EHCID_DECRYPT_MISMATCH


def test_main_indexes_with_equal_fold_share_a_user_key() -> None:
    # The national scheme folds M to 8 bytes: swapping two groups changes M but not the key.
    m = bytes(range(32))
    swapped = m[8:16] + m[0:8] + m[16:]
    assert E.derive_user_key(m, ROOT) == E.derive_user_key(swapped, ROOT)


# ---- mutants: plausible mis-implementations must disagree with the vectors -------------------
def _mutant_no_not(m: bytes, root: bytes, t: str, n: str) -> str:
    f = bytes(a ^ b ^ c ^ d for a, b, c, d in zip(m[0:8], m[8:16], m[16:24], m[24:32], strict=True))
    uk = gm_sm4(root, f + f)
    p = (t + n).encode()
    return gm_sm4(uk, p + bytes(-len(p) % 16)).hex().upper()


def _mutant_pkcs7(m: bytes, root: bytes, t: str, n: str) -> str:
    f = bytes(a ^ b ^ c ^ d for a, b, c, d in zip(m[0:8], m[8:16], m[16:24], m[24:32], strict=True))
    uk = gm_sm4(root, f + bytes(x ^ 0xFF for x in f))
    p = (t + n).encode()
    k = 16 - len(p) % 16
    return gm_sm4(uk, p + bytes([k]) * k).hex().upper()


def _mutant_root_direct(m: bytes, root: bytes, t: str, n: str) -> str:
    p = (t + n).encode()
    return gm_sm4(root, p + bytes(-len(p) % 16)).hex().upper()


def _mutant_first_group(m: bytes, root: bytes, t: str, n: str) -> str:
    f = m[0:8]
    uk = gm_sm4(root, f + bytes(x ^ 0xFF for x in f))
    p = (t + n).encode()
    return gm_sm4(uk, p + bytes(-len(p) % 16)).hex().upper()


@pytest.mark.parametrize("mutant", [_mutant_no_not, _mutant_pkcs7, _mutant_root_direct, _mutant_first_group])
def test_vectors_catch_a_broken_rule(mutant) -> None:
    data = load("ehcid")
    root = bytes.fromhex(data["keys"]["root"])
    valid = [t for t in data["testGroups"][0]["tests"] if t["result"] == "valid"]
    caught = [
        t["tcId"]
        for t in valid
        if mutant(bytes.fromhex(t["mainIndex"]), root, t["docType"], t["docNumber"]) != t["ehcid"]
    ]
    assert caught, f"{mutant.__name__} passes every vector: the vectors are too weak"


def test_known_bytes_of_the_national_example_shape() -> None:
    # "01" + 18 characters = 20 bytes -> two blocks, the second ends in 12 zero bytes.
    m = bytes(32)
    ehcid = E.derive_ehcid(m, ROOT, "01", "11010519491231002X")
    uk = E.derive_user_key(m, ROOT)
    assert uk == gm_sm4(ROOT, bytes(8) + b"\xff" * 8)
    assert bytes.fromhex(ehcid) == gm_sm4(uk, b"0111010519491231002X" + bytes(12))


# ---- input rules -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("m", "root", "t", "n", "code"),
    [
        (b"\x00" * 31, ROOT, "01", "1", E.EHCID_BAD_MAIN_INDEX),
        ("00" * 32, ROOT, "01", "1", E.EHCID_BAD_MAIN_INDEX),
        (bytes(32), ROOT[:15], "01", "1", E.EHCID_BAD_ROOT_KEY),
        (bytes(32), "k" * 16, "01", "1", E.EHCID_BAD_ROOT_KEY),
        (bytes(32), ROOT, "１２", "1", E.EHCID_BAD_DOC_TYPE),
        (bytes(32), ROOT, 1, "1", E.EHCID_BAD_DOC_TYPE),
        (bytes(32), ROOT, "01", "12\t3", E.EHCID_BAD_DOC_NUMBER),
        (bytes(32), ROOT, "01", None, E.EHCID_BAD_DOC_NUMBER),
        (bytes(32), ROOT, "01", "37080219900101123x", E.EHCID_LOWERCASE_X),
    ],
)
def test_bad_inputs_raise_their_code(m, root, t, n, code) -> None:
    with pytest.raises(EhcError) as exc:
        E.derive_ehcid(m, root, t, n)
    assert exc.value.code is code


def test_lower_case_x_is_fine_outside_id_documents() -> None:
    ehcid = E.derive_ehcid(bytes(32), ROOT, "03", "px123")
    assert E.recover_identity(ehcid, bytes(32), ROOT) == ("03", "px123")


@pytest.mark.parametrize("bad", ["", "AB", "G" * 64, "a" * 64, None, "A" * 48])
def test_validate_ehcid_rejects_malformed(bad) -> None:
    with pytest.raises(EhcError) as exc:
        E.validate_ehcid(bad)
    assert exc.value.code is E.EHCID_BAD_FORMAT


def test_errors_never_carry_the_number_or_key() -> None:
    number = "37080219900101123x"
    with pytest.raises(EhcError) as exc:
        E.derive_ehcid(bytes(32), ROOT, "01", number)
    text = str(exc.value) + str(exc.value.to_dict())
    assert number not in text and ROOT.hex() not in text.lower()


def test_threads_and_cache_eviction_give_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(E, "USER_KEY_CACHE_SIZE", 8)  # force evictions
    people = [(bytes([i]) * 32, f"{i:018d}") for i in range(40)]
    expected = [independent_ehcid(m, ROOT, "01", n) for m, n in people]
    results: dict[int, list[str]] = {}

    def work(k: int) -> None:
        E.clear_caches()
        out = []
        for _ in range(3):
            out = [E.derive_ehcid(m, ROOT, "01", n) for m, n in people]
            assert [E.recover_identity(e, m, ROOT)[1] for e, (m, _n) in zip(out, people, strict=True)] == [
                n for _m, n in people
            ]
        results[k] = out

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[k] for k in range(4)] == [expected] * 4
