"""Access conditions through every addressing mode the card offers (DIGEST §2.1-2.2, ISO/IEC 7816-4).

A card OS checks access in the code path of each command and each way of naming a file; a vendor
that protects DDF1/EF06 for ``READ RECORD`` by number but forgets the tag search (``00 B2 <tag> 00``,
the way reader libraries read) or the SFI path passes a one-mode probe. So every protected file is
made current every way the card supports (SELECT by FID, by path, as child EF, by DF name when the
FCI names the DF) and read every way (record number, record identifier first/last/next/previous,
current record, all records, short file identifier, READ BINARY), before authentication, after a
reset and after leaving the DF. The verdict is the card's answer: a protected file answered with
data fails whatever the status word; the modes the card offers must answer 6982.

Writes the same way: UPDATE RECORD / UPDATE BINARY / APPEND RECORD before the update key (also
after the read key) must be refused AND must not change the file (read back after authentication).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .helpers import (
    card_number,
    city_diversifier,
    external_authenticate,
    fci_df_name,
    is_success,
    open_psam,
    probe,
    probe_drained,
    select,
    select_path,
)

MF, DDF1, DF01, DF02, DF03 = 0x3F00, 0xDDF1, 0xDF01, 0xDF02, 0xDF03


@dataclass(frozen=True)
class Protected:
    """A file the card must not serve before the read key of its DF (DIGEST §2.1 tree)."""

    df: tuple[int, ...]  # DF path under the MF
    fid: int
    kind: str  # "records" (TLV records), "cyclic" (fixed records, no TLV), "binary"
    tags: tuple[int, ...] = ()  # item numbers of a TLV record file (DIGEST §2.1 tables)

    @property
    def name(self) -> str:
        return "/".join(f"{f:04X}" for f in (*self.df, self.fid))


PROTECTED = (
    Protected((DDF1,), 0xEF06, "records", (11, 12, 13, 14, 15)),
    Protected((DDF1,), 0xEF07, "binary"),
    Protected((DDF1,), 0xEF08, "records", (7, 16, 17, 18, 19, 20)),
    Protected((DDF1, DF01), 0xEF05, "records", (21, 22, 23, 24)),
    Protected((DDF1, DF01), 0xEF06, "records", tuple(range(25, 34))),
    Protected((DDF1, DF01), 0xEF07, "records", (34, 35, 36)),
    Protected((DDF1, DF01), 0xEF08, "records", (37, 38, 39, 40)),
    Protected((DDF1, DF02), 0xEF05, "records", tuple(range(41, 56))),
    Protected((DDF1, DF02), 0xEF06, "records", (56,)),
    Protected((DDF1, DF02), 0xEF07, "cyclic"),
    Protected((DDF1, DF02), 0xEF08, "cyclic"),
    Protected((DDF1, DF03), 0xEF05, "records", (62,)),
    Protected((DDF1, DF03), 0xEF06, "records", (63,)),
    Protected((DDF1, DF03), 0xEE01, "binary"),
    Protected((DDF1, DF03), 0xED01, "binary"),
)
BY_NAME = {p.name: p for p in PROTECTED}
# Read keys of each DF (DIGEST §2.2: 04 in DDF1, 84 in a DF; §2.3: PSAM indexes RK_*); the
# profile's card.keys override them.
READ_KEYS = {
    (DDF1,): ("read_ddf1", {"ref": 0x04, "psam_index": 0x4731}),
    (DDF1, DF01): ("read_df01", {"ref": 0x84, "psam_index": 0x4732}),
    (DDF1, DF02): ("read_df02", {"ref": 0x84, "psam_index": 0x4733}),
    (DDF1, DF03): ("read_df03", {"ref": 0x84, "psam_index": 0x4734}),
}
UPDATE_KEYS = {  # DIGEST §2.2/§2.3: UK_DDF1 05/272A, UK_DF01 85/272B
    (DDF1,): ("update_ddf1", {"ref": 0x05, "psam_index": 0x272A}),
    (DDF1, DF01): ("update_df01", {"ref": 0x85, "psam_index": 0x272B}),
}
SFIS = range(1, 31)
# Proprietary class (a vendor's personalisation commands), logical channels 1 and 3, secure messaging:
# an access check written for CLA 00 only must not open another door.
OTHER_CLASSES = (0x80, 0x01, 0x03, 0x04, 0x0C, 0x84)


@dataclass
class Ctx:
    card_no: bytes
    city: bytes
    keys: dict
    free: set[bytes]  # every record of the free file DDF1/EF05: the only data allowed before auth


def key_for(ctx: Ctx, table: dict, df: tuple[int, ...]) -> dict:
    name, default = table[df]
    return dict(ctx.keys.get(name, default))


@pytest.fixture
def card(dut, profile) -> Ctx:
    dut.reset()
    city = city_diversifier(dut)
    open_psam(dut)
    free: set[bytes] = set()
    select_path(dut, MF, DDF1, 0xEF05)
    for number in range(1, 16):
        record, status = probe(dut, bytes([0x00, 0xB2, number, 0x04, 0x00]))
        if status != 0x9000:
            break
        free.add(record)
    assert free, "DDF1/EF05 (free read) gave no record: the suite cannot tell free data from a leak"
    return Ctx(card_number(dut.atr()), city, dict(profile.param("card.keys", {}) or {}), free)


def authenticate(dut, ctx: Ctx, df: tuple[int, ...], table: dict = READ_KEYS) -> None:
    assert select_path(dut, MF, *df) == 0x9000, f"SELECT {df}"
    status = external_authenticate(dut, key_for(ctx, table, df), ctx.card_no, ctx.city)
    assert status == 0x9000, f"EXTERNAL AUTHENTICATE in {'/'.join(f'{f:04X}' for f in df)}: SW {status:04X}"


# ------------------------------------------------------------------------------------ making a file current
def _ok(status: int) -> bool:
    return status == 0x9000 or status >> 8 == 0x61


def selections(dut, target: Protected) -> list[str]:
    """The ways this card can make ``target`` the current EF (probed on the card, cheapest first)."""
    ways = ["fid"]
    path = b"".join(f.to_bytes(2, "big") for f in (*target.df, target.fid))
    select(dut, MF)
    if _ok(probe(dut, bytes([0x00, 0xA4, 0x08, 0x00, len(path)]) + path)[1]):
        ways.append("path")
    select(dut, MF)
    if _ok(probe(dut, bytes([0x00, 0xA4, 0x09, 0x00, len(path)]) + path)[1]):
        ways.append("relative-path")
    select_path(dut, MF, *target.df)
    if _ok(probe(dut, bytes([0x00, 0xA4, 0x02, 0x00, 0x02]) + target.fid.to_bytes(2, "big"))[1]):
        ways.append("child-ef")
    if df_name(dut, target.df):
        ways.append("df-name")
    return ways


def df_name(dut, df: tuple[int, ...]) -> bytes | None:
    select_path(dut, MF, *df[:-1])
    fci, status = probe(dut, bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + df[-1].to_bytes(2, "big"))
    return fci_df_name(fci) if _ok(status) else None


def make_current(dut, target: Protected, way: str) -> None:
    path = b"".join(f.to_bytes(2, "big") for f in (*target.df, target.fid))
    fid = target.fid.to_bytes(2, "big")
    if way == "fid":
        status = select_path(dut, MF, *target.df, target.fid)
    elif way == "path":
        select(dut, MF)
        status = probe(dut, bytes([0x00, 0xA4, 0x08, 0x00, len(path)]) + path)[1]
    elif way == "relative-path":
        select(dut, MF)
        status = probe(dut, bytes([0x00, 0xA4, 0x09, 0x00, len(path)]) + path)[1]
    elif way == "child-ef":
        select_path(dut, MF, *target.df)
        status = probe(dut, bytes([0x00, 0xA4, 0x02, 0x00, 0x02]) + fid)[1]
    else:  # df-name
        name = df_name(dut, target.df) or b""
        select(dut, MF)
        assert _ok(probe(dut, bytes([0x00, 0xA4, 0x04, 0x00, len(name)]) + name)[1]), "SELECT by DF name"
        status = probe(dut, bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + fid)[1]
    assert _ok(status), f"{target.name}: SELECT ({way}) answered {status:04X}"


# ------------------------------------------------------------------------------------ read probes
def read_commands(target: Protected) -> list[tuple[str, bytes]]:
    """Every read addressing mode for the current EF ``target`` (name, APDU)."""
    out: list[tuple[str, bytes]] = []
    if target.kind in ("records", "cyclic"):
        out += [
            ("READ RECORD 1 by number", bytes([0x00, 0xB2, 0x01, 0x04, 0x00])),
            ("READ RECORD 1 by number, no Le", bytes([0x00, 0xB2, 0x01, 0x04])),
            ("READ RECORD 2 by number", bytes([0x00, 0xB2, 0x02, 0x04, 0x00])),
            ("READ RECORD current (P1=00)", bytes([0x00, 0xB2, 0x00, 0x04, 0x00])),
            ("READ RECORDS from 1 to the last", bytes([0x00, 0xB2, 0x01, 0x05, 0x00])),
            ("READ RECORDS from the last to 1", bytes([0x00, 0xB2, 0x01, 0x06, 0x00])),
            ("READ BINARY on the record file", bytes([0x00, 0xB0, 0x00, 0x00, 0x00])),
            ("READ RECORD 1 by number, extended Le", bytes([0x00, 0xB2, 0x01, 0x04, 0x00, 0x00, 0x00])),
            *(
                (f"READ RECORD 1 by number, CLA {cla:02X}", bytes([cla, 0xB2, 0x01, 0x04, 0x00]))
                for cla in OTHER_CLASSES
            ),
        ]
        for tag in sorted({*target.tags[:1], *target.tags[-1:]}):
            for mode, label in ((0, "first"), (1, "last"), (2, "next"), (3, "previous")):
                out.append((f"READ RECORD tag {tag} ({label})", bytes([0x00, 0xB2, tag, mode, 0x00])))
            out.append((f"READ RECORD tag {tag}, no Le", bytes([0x00, 0xB2, tag, 0x00])))
    else:
        out += [
            ("READ BINARY 0, Le 00", bytes([0x00, 0xB0, 0x00, 0x00, 0x00])),
            ("READ BINARY 0, Le 02", bytes([0x00, 0xB0, 0x00, 0x00, 0x02])),
            ("READ BINARY 2, Le 80", bytes([0x00, 0xB0, 0x00, 0x02, 0x80])),
            ("READ BINARY 0, no Le", bytes([0x00, 0xB0, 0x00, 0x00])),
            ("READ RECORD on the binary file", bytes([0x00, 0xB2, 0x01, 0x04, 0x00])),
            ("READ BINARY 0, extended Le", bytes([0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00])),
            *(
                (f"READ BINARY 0, CLA {cla:02X}", bytes([cla, 0xB0, 0x00, 0x00, 0x00]))
                for cla in OTHER_CLASSES
            ),
        ]
    return out


def offered(name: str) -> bool:
    """Modes DIGEST §2.2 names: the card must answer them with 6982 on a protected file."""
    return name in ("READ RECORD 1 by number", "READ BINARY 0, Le 02") or name.endswith("(first)")


def assert_no_data(target: Protected, mode: str, apdu: bytes, answer: tuple[bytes, int], ctx: Ctx) -> None:
    data, status = answer
    assert not data or data in ctx.free, (
        f"{target.name} {mode} ({apdu.hex().upper()}) answered {len(data)} bytes of the protected file "
        f"with SW {status:04X}"
    )
    assert not is_success(status), f"{target.name} {mode} ({apdu.hex().upper()}) answered SW {status:04X}"


def assert_unreadable(dut, ctx: Ctx, target: Protected, ways: list[str] | None = None) -> None:
    """``target`` gives no data whatever way it is made current and read; offered modes say 6982."""
    for way in ways or selections(dut, target):
        make_current(dut, target, way)  # reads leave the current EF alone: one SELECT per way
        for mode, apdu in read_commands(target):
            answer = probe_drained(dut, apdu)  # refused: nothing left in the buffer either
            assert_no_data(target, f"[{way}] {mode}", apdu, answer, ctx)
            if way == "fid" and offered(mode):
                assert answer[1] == 0x6982, f"{target.name} {mode} before authentication: SW {answer[1]:04X}"


def assert_sfi_unreadable(dut, ctx: Ctx, df: tuple[int, ...]) -> None:
    """With ``df`` current, no short file identifier reaches protected data (READ RECORD / BINARY)."""
    tags = sorted({p.tags[0] for p in PROTECTED if p.df == df and p.tags})
    assert select_path(dut, MF, *df) == 0x9000
    for sfi in SFIS:
        apdus = [
            ("READ RECORD 1 via SFI", bytes([0x00, 0xB2, 0x01, (sfi << 3) | 0x04, 0x00])),
            ("READ BINARY via SFI", bytes([0x00, 0xB0, 0x80 | sfi, 0x00, 0x00])),
        ] + [(f"READ RECORD tag {tag} via SFI", bytes([0x00, 0xB2, tag, sfi << 3, 0x00])) for tag in tags]
        for mode, apdu in apdus:
            data, status = probe_drained(dut, apdu)
            label = f"{'/'.join(f'{f:04X}' for f in df)} SFI {sfi}: {mode} ({apdu.hex().upper()})"
            assert not data or data in ctx.free, (
                f"{label} answered {len(data)} protected bytes, SW {status:04X}"
            )


# ------------------------------------------------------------------------------------ tests: reads
@pytest.mark.requirement("CARD-FILE-005", "CARD-FILE-010")
def test_holder_file_refused_in_every_addressing_mode(dut, card):
    assert_unreadable(dut, card, BY_NAME["DDF1/EF06"])


@pytest.mark.requirement("CARD-FILE-010")
@pytest.mark.parametrize(
    "target",
    [  # DF01 files are also CARD-FILE-009's
        pytest.param(
            p, id=p.name, marks=[pytest.mark.requirement("CARD-FILE-009")] if p.df[-1] == DF01 else []
        )
        for p in PROTECTED
        if p.name != "DDF1/EF06"
    ],
)
def test_protected_file_refused_in_every_addressing_mode(dut, card, target):
    assert_unreadable(dut, card, target)


@pytest.mark.requirement("CARD-FILE-010")
@pytest.mark.parametrize("df", list(READ_KEYS), ids=lambda df: "/".join(f"{f:04X}" for f in df))
def test_no_short_file_identifier_reaches_protected_data(dut, card, df):
    assert_sfi_unreadable(dut, card, df)


@pytest.mark.requirement("CARD-FILE-010", "CARD-FILE-005")
@given(
    target=st.sampled_from(PROTECTED),
    cla=st.sampled_from((0x00, *OTHER_CLASSES)),
    ins=st.sampled_from([0xB0, 0xB2]),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    le=st.one_of(st.none(), st.integers(0, 255)),
)
def test_any_read_apdu_on_a_protected_file_gives_no_data(dut, card, target, cla, ins, p1, p2, le):
    make_current(dut, target, "fid")
    apdu = bytes([cla, ins, p1, p2]) + (b"" if le is None else bytes([le]))
    assert_no_data(target, "generated read", apdu, probe_drained(dut, apdu), card)


@pytest.mark.requirement("CARD-APDU-001", "CARD-APDU-002", "CARD-APDU-003")
@pytest.mark.parametrize("df", list(READ_KEYS), ids=lambda df: "/".join(f"{f:04X}" for f in df))
def test_after_the_read_key_every_offered_mode_serves_the_file(dut, card, df):
    """The modes probed above are the card's real ones: after the read key they give the data."""
    authenticate(dut, card, df)
    for target in (p for p in PROTECTED if p.df == df):
        assert select(dut, target.fid) == 0x9000, f"SELECT {target.name}"
        if target.kind == "binary":
            head, status = probe(dut, bytes.fromhex("00B0000002"))
            assert status == 0x9000 and len(head) == 2, f"{target.name} READ BINARY: SW {status:04X}"
            continue
        by_number, status = probe(dut, bytes([0x00, 0xB2, 0x01, 0x04, 0x00]))
        if target.kind == "cyclic":
            assert status in (0x9000, 0x6A83), f"{target.name} READ RECORD 1: SW {status:04X}"
            continue
        assert status == 0x9000 and by_number, f"{target.name} READ RECORD 1: SW {status:04X}"
        by_tag, status = probe(dut, bytes([0x00, 0xB2, by_number[0], 0x00, 0x00]))
        assert status == 0x9000 and by_tag == by_number, (
            f"{target.name}: READ RECORD by tag {by_number[0]} differs from record 1 (SW {status:04X})"
        )


# ------------------------------------------------------------------------------------ tests: state lifetime
def assert_df_unreadable_in_place(dut, ctx: Ctx, df: tuple[int, ...], context: str) -> None:
    """With ``df`` already current, its protected files give no data; every SELECT is relative to
    ``df`` (no hop through the MF, which would clear the state by itself)."""
    for target in (p for p in PROTECTED if p.df == df):
        assert select(dut, target.fid) == 0x9000, f"SELECT {target.name} from its DF"
        for mode, apdu in read_commands(target):
            assert_no_data(target, f"{context}: {mode}", apdu, probe_drained(dut, apdu), ctx)
    tags = sorted({p.tags[0] for p in PROTECTED if p.df == df and p.tags})
    for sfi in SFIS:
        for apdu in (
            bytes([0x00, 0xB2, 0x01, (sfi << 3) | 0x04, 0x00]),
            bytes([0x00, 0xB0, 0x80 | sfi, 0x00, 0x00]),
            *(bytes([0x00, 0xB2, tag, sfi << 3, 0x00]) for tag in tags),
        ):
            data, status = probe_drained(dut, apdu)
            assert not data or data in ctx.free, (
                f"{context}: {apdu.hex().upper()} (SFI {sfi}) answered {len(data)} protected bytes, SW {status:04X}"
            )


@pytest.mark.requirement("CARD-AUTH-006")
def test_reset_clears_access_in_every_addressing_mode(dut, card):
    authenticate(dut, card, (DDF1,))
    dut.reset()
    assert _ok(probe(dut, bytes.fromhex("00A4000002DDF1"))[1])  # straight to DDF1: only the reset may clear
    assert_df_unreadable_in_place(dut, card, (DDF1,), "after a reset")


@pytest.mark.requirement("CARD-AUTH-009")
def test_leaving_the_df_for_the_mf_clears_its_access(dut, card):
    authenticate(dut, card, (DDF1,))
    assert select(dut, MF) == 0x9000
    assert select(dut, DDF1) == 0x9000
    assert_df_unreadable_in_place(dut, card, (DDF1,), "after SELECT MF and back to DDF1")


@pytest.mark.requirement("CARD-AUTH-009")
@pytest.mark.parametrize(("df", "other"), [((DDF1, DF01), DF02), ((DDF1, DF02), DF03), ((DDF1, DF03), DF01)])
def test_selecting_a_sibling_df_clears_access(dut, card, df, other):
    authenticate(dut, card, df)
    for fid in (other, df[-1]):  # sibling by FID; a card that only selects children goes via DDF1
        if select(dut, fid) != 0x9000:
            assert select(dut, DDF1) == 0x9000 and select(dut, fid) == 0x9000, f"SELECT {fid:04X}"
    assert_df_unreadable_in_place(dut, card, df, f"after SELECT {other:04X} and back")


@pytest.mark.requirement("CARD-FILE-010")
@pytest.mark.parametrize(
    "df",
    [
        pytest.param(DF01, id="DDF1/DF01", marks=[pytest.mark.requirement("CARD-FILE-009")]),
        pytest.param(DF02, id="DDF1/DF02"),
        pytest.param(DF03, id="DDF1/DF03"),
    ],
)
def test_the_ddf1_read_key_does_not_open_the_dfs_below(dut, card, df):
    """Entering a child DF keeps DDF1's state (ISO/IEC 7816-4), but the child's files are guarded by
    the child's own read key (RK_DF0x): a card with one "authenticated" flag for the whole
    application gives addresses and clinical data to a terminal that only holds RK_DDF1."""
    authenticate(dut, card, (DDF1,))
    assert select(dut, df) == 0x9000, f"SELECT {df:04X} from DDF1"
    assert_df_unreadable_in_place(dut, card, (DDF1, df), "with RK_DDF1 only")


# ------------------------------------------------------------------------------------ tests: writes
def _find_sfi(dut, target: Protected, reference: bytes) -> int | None:
    """The SFI under which the (authenticated) card serves ``target``: the one that reads ``reference``."""
    for sfi in SFIS:
        if target.kind == "binary":
            apdu = bytes([0x00, 0xB0, 0x80 | sfi, 0x02, len(reference)])
        else:
            apdu = bytes([0x00, 0xB2, 0x01, (sfi << 3) | 0x04, 0x00])
        if probe(dut, apdu) == (reference, 0x9000):
            return sfi
    return None


def _read_back(dut, target: Protected, size: int) -> bytes:
    assert select(dut, target.fid) == 0x9000
    if target.kind == "binary":
        data, status = probe(dut, bytes([0x00, 0xB0, 0x00, 0x02, size]))
    else:
        data, status = probe(dut, bytes([0x00, 0xB2, 0x01, 0x04, 0x00]))
    assert status == 0x9000, f"{target.name}: read back after authentication: SW {status:04X}"
    return data


def _write_commands(target: Protected, marker: bytes, sfi: int | None) -> list[tuple[str, bytes]]:
    n = bytes([len(marker)])
    if target.kind == "binary":
        out = [("UPDATE BINARY at 2", bytes([0x00, 0xD6, 0x00, 0x02]) + n + marker)]
        if sfi:
            out.append((f"UPDATE BINARY via SFI {sfi}", bytes([0x00, 0xD6, 0x80 | sfi, 0x02]) + n + marker))
        return out
    out = [
        ("UPDATE RECORD 1 by number", bytes([0x00, 0xDC, 0x01, 0x04]) + n + marker),
        ("UPDATE RECORD current (P1=00)", bytes([0x00, 0xDC, 0x00, 0x04]) + n + marker),
        ("UPDATE RECORD append (P2=03)", bytes([0x00, 0xDC, 0x00, 0x03]) + n + marker),
        ("APPEND RECORD", bytes([0x00, 0xE2, 0x00, 0x00]) + n + marker),
        ("UPDATE BINARY on the record file", bytes([0x00, 0xD6, 0x00, 0x00]) + n + marker),
    ]
    if sfi:
        out.append(
            (f"UPDATE RECORD 1 via SFI {sfi}", bytes([0x00, 0xDC, 0x01, (sfi << 3) | 0x04]) + n + marker)
        )
    return out


WRITE_TARGETS = ["DDF1/EF06", "DDF1/EF07", "DDF1/EF08", "DDF1/DF01/EF05"]


@pytest.mark.requirement("CARD-APDU-011")
@pytest.mark.parametrize("name", WRITE_TARGETS)
def test_writes_without_the_update_key_are_refused_and_change_nothing(dut, card, name):
    target = BY_NAME[name]
    authenticate(dut, card, target.df)
    original = _read_back(dut, target, 16)
    sfi = _find_sfi(dut, target, original)
    marker = original[:2] + bytes(b ^ 0x5A for b in original[2:])  # same TLV header: a lax card takes it
    changed = None
    for stage in ("before any authentication", "after the read key only"):
        dut.reset()
        if stage == "after the read key only":
            authenticate(dut, card, target.df)
        if stage == "before any authentication":
            assert select_path(dut, MF, *target.df) == 0x9000
        for mode, apdu in _write_commands(target, marker, sfi):
            assert select(dut, target.fid) == 0x9000  # from its DF: no MF hop that would drop the read key
            _, status = probe(dut, apdu)
            if is_success(status):
                changed = changed or f"{target.name} {mode} {stage}: SW {status:04X}"
            if mode.endswith("by number") or mode == "UPDATE BINARY at 2":
                assert status == 0x6982 or changed, f"{target.name} {mode} {stage}: SW {status:04X}"
        authenticate(dut, card, target.df)
        now = _read_back(dut, target, len(original))
        if now != original:
            changed = changed or f"{target.name} changed by a refused write {stage}"
            break
    if changed:  # put the data back with the update key, then fail
        dut.reset()
        authenticate(dut, card, target.df)
        authenticate(dut, card, target.df, UPDATE_KEYS)
        select(dut, target.fid)
        restore = bytes([0x00, 0xD6, 0x00, 0x02, len(original)]) if target.kind == "binary" else None
        probe(dut, (restore or bytes([0x00, 0xDC, 0x01, 0x04, len(original)])) + original)
        pytest.fail(changed)


@pytest.mark.requirement("CARD-APDU-011")
@pytest.mark.parametrize("name", WRITE_TARGETS)
def test_the_update_key_opens_the_write(dut, card, name):
    """The refusals above come from the access condition, not from a card that refuses every write."""
    target = BY_NAME[name]
    authenticate(dut, card, target.df)
    original = _read_back(dut, target, 16)
    authenticate(dut, card, target.df, UPDATE_KEYS)
    assert select(dut, target.fid) == 0x9000
    if target.kind == "binary":
        apdu = bytes([0x00, 0xD6, 0x00, 0x02, len(original)]) + original
    else:
        apdu = bytes([0x00, 0xDC, 0x01, 0x04, len(original)]) + original
    _, status = probe(dut, apdu)  # writes the same bytes back: nothing changes on the card
    assert status == 0x9000, f"{target.name}: write with the update key answered {status:04X}"


def _snapshot(dut, ctx: Ctx) -> tuple[bytes, ...]:
    """DDF1/EF06 records and the head of EF07, read with the read key."""
    authenticate(dut, ctx, (DDF1,))
    assert select(dut, 0xEF06) == 0x9000
    records = tuple(probe(dut, bytes([0x00, 0xB2, n, 0x04, 0x00]))[0] for n in range(1, 6))
    assert select(dut, 0xEF07) == 0x9000
    return (*records, probe(dut, bytes.fromhex("00B0000040"))[0])


@pytest.mark.requirement("CARD-APDU-011")
@given(
    cla=st.sampled_from((0x00, *OTHER_CLASSES)),
    ins=st.sampled_from([0xD6, 0xDC, 0xE2]),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    body=st.binary(min_size=1, max_size=40),
    read_key=st.booleans(),
)
def test_any_write_apdu_without_the_update_key_changes_nothing(dut, card, cla, ins, p1, p2, body, read_key):
    before = _snapshot(dut, card)
    dut.reset()
    if read_key:
        authenticate(dut, card, (DDF1,))
    else:
        assert select_path(dut, MF, DDF1) == 0x9000
    assert select(dut, 0xEF06) == 0x9000
    apdu = bytes([cla, ins, p1, p2, len(body)]) + body
    _, status = probe(dut, apdu)
    assert not is_success(status), f"{apdu.hex().upper()} without the update key: SW {status:04X}"
    dut.reset()
    assert _snapshot(dut, card) == before, (
        f"{apdu.hex().upper()} (refused, SW {status:04X}) changed DDF1 data"
    )
