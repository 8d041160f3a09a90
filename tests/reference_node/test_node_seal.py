"""Sealed values at rest (issue #14, import): the HSM's fast seal — one SM4-CBC context per thread
kept across values, IVs from a per-thread random pool, HMAC-SM3 from precomputed states — writes
exactly format 2 as the independent ``seal_with``/``open_with`` define it, never repeats an IV
(across threads and in a forked child), and the blind index is still HMAC-SM3 under the index key."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ehc.gm import hmac_sm3, pad_80, sm4_cbc_encrypt
from reference_node.hsm import SoftwareHsm, init_key_file, open_with


@pytest.fixture
def hsm(tmp_path: Path) -> SoftwareHsm:
    return SoftwareHsm.from_file(init_key_file(tmp_path / "keys.json"))


def _keys(hsm: SoftwareHsm) -> tuple[bytes, bytes]:
    data_key = hsm._k["data_key"]  # noqa: SLF001 - the test plays the independent reader
    return data_key, hmac_sm3(data_key, b"EHC-SEAL-MAC")


def test_seal_is_format_2_as_the_reference_reads_it(hsm: SoftwareHsm):
    enc, mac = _keys(hsm)
    values = [b"", b"x", b"0" * 15, b"0" * 16, b"0" * 17, "张三|13800000000|山东省济宁市任城区".encode() * 3]
    for round_ in range(3):  # interleaved lengths: the context's chaining value carries over
        for plain in values:
            sealed = hsm.seal(plain)
            assert sealed[0] == 2 and (len(sealed) - 1 - 32) % 16 == 0
            assert open_with(enc, mac, sealed) == plain, (round_, plain)
            iv = sealed[1:17]
            # byte for byte the standard SM4-CBC of the padded value under its IV
            assert sealed[17:-32] == sm4_cbc_encrypt(enc, iv, pad_80(plain))
            assert hsm.open(sealed) == plain


def test_ivs_never_repeat_across_threads_and_pool_refills(hsm: SoftwareHsm):
    ivs: list[bytes] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [hsm.seal(b"v")[1:17] for _ in range(600)]  # > 2 pools of 256 per thread
        with lock:
            ivs.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ivs) == 2400 == len(set(ivs))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to check a forked child's IVs")
def test_a_forked_child_does_not_reuse_the_parents_iv_pool(hsm: SoftwareHsm):
    hsm.seal(b"warm the pool")  # this thread now holds a pool with 255 IVs left
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the next IVs it would draw
        try:
            os.write(w, b"".join(hsm.seal(b"c")[1:17] for _ in range(8)))
        finally:
            os._exit(0)
    os.close(w)
    child = b""
    while len(child) < 128:
        part = os.read(r, 128)
        if not part:
            break
        child += part
    os.close(r)
    os.waitpid(pid, 0)
    parent = b"".join(hsm.seal(b"p")[1:17] for _ in range(8))
    assert len(child) == 128
    assert {child[i : i + 16] for i in range(0, 128, 16)}.isdisjoint(
        {parent[i : i + 16] for i in range(0, 128, 16)}
    )


def test_tampering_is_refused_whatever_the_fast_path(hsm: SoftwareHsm):
    sealed = hsm.seal("李四".encode())
    for i in (0, 5, 20, len(sealed) - 1):
        bad = bytearray(sealed)
        bad[i] ^= 0x40
        with pytest.raises(Exception) as info:
            hsm.open(bytes(bad))
        assert getattr(info.value, "code", None) is not None
        assert info.value.code.name == "NODE_SEALED_TAMPERED"


def test_blind_index_is_hmac_sm3_under_the_index_key(hsm: SoftwareHsm):
    key = hsm._k["index_key"]  # noqa: SLF001
    for kind, value in (("doc", "01:370802199001011234"), ("m2", "A61803399"), ("doc", "08:Q370000001")):
        assert hsm.blind_index(kind, value) == hmac_sm3(key, kind.encode() + b"\x00" + value.encode()).hex()
    assert hsm.blind_index("doc", "01:1") != hsm.blind_index("m2", "01:1")
