"""Stateful property test: random command sequences against the engine and a simple model of it.

The model is written from the rules in DIGEST §2 and docs/assumptions.md (which DF holds which key,
which key opens which file, when credentials and challenges are dropped), not from the engine's
data structures; Hypothesis shrinks any disagreement to a minimal command sequence.

Strength (proved by test_card_stateful_selfcheck.py against deliberately broken engines): after
EVERY step the invariants probe every modelled file of every DF (not only the current one) on a
clone of the card and compare the keys' retry counters and the PIN's with the model, so a credential
kept after leaving its DF, or a try that was not spent, fails at the step that caused it; targeted
rules authenticate, leave and come back, and tear updates at byte counts inside the write.
"""

from __future__ import annotations

import copy

from ce_helpers import PERSON, hx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from card_emulators.engine import scheme
from card_emulators.engine.security import key_tries
from card_emulators.errors import CardPowerLost
from card_emulators.personalise import CardKeys, personalise_user_card
from card_emulators.personalities.health_layout import KEYS
from ehc.gm import SM2PrivateKey

MF, DDF1, DF01, DF02, DF03 = "3F00", "DDF1", "DF01", "DF02", "DF03"
PARENT = {MF: None, DDF1: MF, DF01: DDF1, DF02: DDF1, DF03: DDF1}
EFS = {
    MF: set(),
    DDF1: {"EF05", "EF06", "EF07", "EF08"},
    DF01: {"EF05", "EF06", "EF07", "EF08"},
    DF02: {"EF05", "EF06", "EF07", "EF08"},
    DF03: {"EF05", "EF06"},
}
# EFs of the model: (df, fid) -> (kind, read key, update key, sm required)
FILES = {
    (DDF1, "EF05"): ("rec", None, "UK_DDF1", True),
    (DDF1, "EF06"): ("rec", "RK_DDF1", "UK_DDF1", False),
    (DDF1, "EF08"): ("rec", "RK_DDF1", "UK_DDF1", False),
    (DDF1, "EF07"): ("bin", "RK_DDF1", "UK_DDF1", False),
    (DF01, "EF05"): ("rec", "RK_DF01", "UK_DF01", False),
    (DF01, "EF07"): ("rec", "RK_DF01", "UK_DF01", False),
    (DF02, "EF05"): ("rec", "RK_DF02", "UK_DF02_1", False),
    (DF02, "EF06"): ("rec", "RK_DF02", "UK_DF02_2", False),
}
KEY_DF = {
    "RK_DDF1": DDF1,
    "UK_DDF1": DDF1,
    "RK_DF01": DF01,
    "UK_DF01": DF01,
    "RK_DF02": DF02,
    "UK_DF02_1": DF02,
    "UK_DF02_2": DF02,
}
SPEC = {s.label: s for s in KEYS}
# key references per DF (a reference resolves in the current DF first, then in its ancestors)
REFS = {
    DDF1: {0x04: "RK_DDF1", 0x05: "UK_DDF1"},
    DF01: {0x84: "RK_DF01", 0x85: "UK_DF01"},
    DF02: {0x84: "RK_DF02", 0x85: "UK_DF02_1", 0x86: "UK_DF02_2"},
}
KEYS_SET = CardKeys.test_only("stateful")
TEMPLATE = personalise_user_card(PERSON, KEYS_SET, SM2PrivateKey.from_int(99), serial="12345678")


def _chain(df):
    out = []
    while df is not None:
        out.append(df)
        df = PARENT[df]
    return out


def _df_path(df: str) -> str:
    """Path from the MF (P1=08) to a DF of the model, as hex."""
    return "".join(reversed([d for d in _chain(df) if d != MF])) or MF


def _select_path(df: str, fid: str = "") -> str:
    """SELECT by path from the MF, no FCI (P2=0C): answers 9000 for an existing DF or EF."""
    path = (_df_path(df) if df != MF else "") + fid or MF
    return f"00A4080C{len(path) // 2:02X}{path}"


# DFs with modelled files, in the order the invariant probes them after the current DF.
PROBE_DFS = (DF01, DF02, DDF1)


class CardMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.card = None

    @initialize()
    def start(self):
        self.keys = KEYS_SET
        self.card = copy.deepcopy(TEMPLATE)
        self.card.powerUp()
        self.city = self.card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"
        # model state
        self.df, self.ef = MF, None
        self.creds: set[str] = set()
        self.challenge: bytes | None = None
        self.tries = {label: 3 for label in KEY_DF}
        self.pin_tries = 3
        self.records = {}
        for (df, fid), (kind, *_rest) in FILES.items():
            if kind == "rec":
                node = (
                    self.card.node(0xDDF1, int(fid, 16))
                    if df == DDF1
                    else self.card.node(0xDDF1, int(df, 16), int(fid, 16))
                )
                self.records[(df, fid)] = [
                    self.card.nvm.read(node.region, node.offset_of(i), s)
                    for i, s in enumerate(node.record_sizes)
                ]

    def send(self, text_or_bytes):
        apdu = hx(text_or_bytes) if isinstance(text_or_bytes, str) else text_or_bytes
        resp = self.card.execute(apdu)
        return resp[:-2], (resp[-2] << 8) | resp[-1]

    def _volatile(self):
        """The card's RAM state, so an invariant can probe the card and leave it as it was (cheaper
        than a deep copy of the card per step; what the probes change is only this state)."""
        c = self.card
        return c.current_df, c.current_ef, set(c.security), c.challenge, c.pending

    def _restore(self, saved) -> None:
        c = self.card
        c.current_df, c.current_ef, c.security, c.challenge, c.pending = saved

    # --- model helpers ------------------------------------------------------------------------------
    def _enter(self, df):
        keep = set(_chain(df))
        self.creds = {c for c in self.creds if KEY_DF[c] in keep}
        if df != self.df:
            self.challenge = None
        self.df, self.ef = df, None

    # --- rules --------------------------------------------------------------------------------------
    @rule(data=st.data())
    def select(self, data):
        cur, parent = self.df, PARENT[self.df]
        children = {d for d, p in PARENT.items() if p == cur}
        siblings = {d for d, p in PARENT.items() if parent is not None and p == parent}
        # mostly files that exist from here (so runs travel the tree), sometimes any FID
        nearby = sorted({MF, cur} | children | siblings | EFS[cur] | ({parent} if parent else set()))
        target_fid = data.draw(
            st.one_of(st.sampled_from(nearby), st.sampled_from([MF, DDF1, DF01, DF02, DF03, "EF07", "ABCD"]))
        )
        _, sw = self.send(f"00A4000002{target_fid}")
        if target_fid in {MF, cur, parent} | children | siblings:
            assert sw == 0x6106, hex(sw)
            self._enter(target_fid)
        elif target_fid in EFS[cur]:
            assert sw == 0x9000, hex(sw)
            self.ef = target_fid
        else:
            assert sw == 0x6A82, hex(sw)

    @rule(number=st.integers(1, 12))
    def read_record(self, number):
        data, sw = self.send(f"00B2{number:02X}0400")
        if self.ef is None:
            assert sw == 0x6986
            return
        spec = FILES.get((self.df, self.ef))
        if spec is None:
            return  # files outside the model: only "no crash" is checked (invariant below)
        kind, read_key, _, _ = spec
        if kind == "bin":
            assert sw == 0x6981
        elif read_key is not None and read_key not in self.creds:
            assert sw == 0x6982, (
                f"credentials: read of {self.df}/{self.ef} answered {sw:04X} without {read_key}"
            )
        elif number > len(self.records[(self.df, self.ef)]):
            assert sw == 0x6A83
        else:
            assert (data, sw) == (self.records[(self.df, self.ef)][number - 1], 0x9000)

    @rule(number=st.integers(1, 6), filler=st.integers(0, 255), good_tag=st.booleans())
    def update_record(self, number, filler, good_tag):
        spec = FILES.get((self.df, self.ef)) if self.ef else None
        records = self.records.get((self.df, self.ef)) if spec else None
        size = len(records[number - 1]) if records and number <= len(records) else 3
        tag = records[number - 1][0] if records and number <= len(records) else 1
        body = bytes([tag if good_tag else tag ^ 0xFF, size - 2]) + bytes([filler]) * (size - 2)
        _, sw = self.send(hx(f"00DC{number:02X}04{size:02X}") + body)
        if self.ef is None:
            assert sw == 0x6986
            return
        if spec is None:
            return
        kind, _, update_key, sm = spec
        if kind == "bin":
            assert sw == 0x6981
        elif update_key not in self.creds:
            assert sw == 0x6982, (
                f"credentials: update of {self.df}/{self.ef} answered {sw:04X} without {update_key}"
            )
        elif sm:
            assert sw == 0x6987
        elif number > len(records):
            assert sw == 0x6A83
        elif not good_tag:
            assert sw == 0x6A80
        else:
            assert sw == 0x9000
            records[number - 1] = body

    @rule(fid=st.sampled_from(["EF05", "EF06", "EF08"]))
    def select_child_ef_and_read(self, fid):
        """SELECT a child EF (P1=02) and read record 1: probes the credentials of the current DF."""
        _, sw = self.send(f"00A4020002{fid}")
        if fid not in EFS[self.df]:
            assert sw == 0x6A82
            return
        assert sw == 0x9000
        self.ef = fid
        self.read_record(1)

    @rule()
    def get_challenge(self):
        data, sw = self.send("0084000008")
        assert sw == 0x9000 and len(data) == 8
        self.challenge = data

    @rule(label=st.sampled_from(sorted(KEY_DF)), correct=st.booleans())
    def external_authenticate(self, label, correct):
        spec = SPEC[label]
        t = bytes(range(8))
        if correct and self.challenge is not None:
            key = self.keys.card_key(spec, self.card.card_number, self.city)
            crypt = scheme.auth_cryptogram(key, self.challenge, t)
        else:
            crypt = b"\x5a" * 8
        _, sw = self.send(hx(f"008200{spec.ref:02X}11") + crypt + t + b"\x01")
        resolved = next((REFS[d][spec.ref] for d in _chain(self.df) if spec.ref in REFS.get(d, {})), None)
        if self.df == DF03 and spec.ref in (0x84, 0x85, 0x86):
            resolved = "DF03 key"  # DF03's own keys are outside the model
        if resolved is None:
            assert sw == 0x6A88, hex(sw)
            return
        if resolved not in self.tries:
            self.challenge = None
            return
        correct = correct and resolved == label
        label = resolved
        challenge, self.challenge = self.challenge, None
        if self.tries[label] == 0:
            assert sw == 0x6983
        elif challenge is None:
            assert sw == 0x6985
        elif correct:
            assert sw == 0x9000
            self.tries[label] = 3
            self.creds.add(label)
        else:
            self.tries[label] -= 1
            assert sw == 0x63C0 | self.tries[label]

    @rule(data=st.data())
    def challenge_then_authenticate(self, data):
        """The terminal's usual pair of commands with a key of the current DF (mostly the right one),
        so that sequences reach authenticated states often."""
        local = sorted(label for label, df in KEY_DF.items() if df == self.df) or sorted(KEY_DF)
        label = data.draw(st.sampled_from(local))
        correct = data.draw(st.sampled_from([True, True, False]))
        self.get_challenge()
        self.external_authenticate(label, correct)

    @rule(
        home=st.sampled_from([DDF1, DF01, DF02]),
        away=st.sampled_from([MF, DDF1, DF01, DF02, DF03]),
        data=st.data(),
    )
    def authenticate_leave_and_return(self, home, away, data):
        """Authenticate in ``home`` with its read key, SELECT ``away``, come back, read a protected
        file: readable again only if ``away`` was ``home`` or inside it (the credential was kept)."""
        assert self.send(_select_path(home))[1] == 0x9000
        self._enter(home)
        read_key = next(label for label, df in KEY_DF.items() if df == home and label.startswith("RK"))
        self.get_challenge()
        self.external_authenticate(read_key, True)
        assert self.send(_select_path(away))[1] == 0x9000
        self._enter(away)
        protected = sorted(
            fid
            for (df, fid), spec in FILES.items()
            if df == home and spec[0] == "rec" and spec[1] == read_key
        )
        fid = data.draw(st.sampled_from(protected))
        assert self.send(_select_path(home, fid))[1] == 0x9000
        self._enter(home)
        self.ef = fid
        self.read_record(1)

    @rule(
        file=st.sampled_from(sorted(k for k, v in FILES.items() if v[0] == "rec" and not v[3])),
        number=st.integers(1, 3),
        filler=st.integers(0, 255),
        data=st.data(),
    )
    def select_authenticate_and_tear(self, file, number, filler, data):
        """SELECT by path, authenticate with the file's update key, then an update torn at byte k,
        k anywhere in what the write programs (journal, flags and the record itself)."""
        df, fid = file
        path = "DDF1" + ("" if df == DDF1 else df) + fid
        _, sw = self.send(f"00A40800{len(path) // 2:02X}{path}")
        assert sw == 0x9000
        if df != self.df:
            self._enter(df)
        self.ef = fid
        self.get_challenge()
        self.external_authenticate(FILES[file][2], True)
        records = self.records[file]
        size = len(records[number - 1]) if number <= len(records) else 8
        # Half the tears land within the first record-length bytes programmed (the journal here; the
        # record itself in a card that writes in place), the rest anywhere up to the last flag.
        k = data.draw(st.one_of(st.integers(3, max(3, size - 1)), st.integers(0, 2 * size + 10)), label="k")
        self.update_torn_by_power_loss(number, filler, k)

    def update_torn_by_power_loss(self, number, filler, k):
        """An update with the power cut after k programmed bytes: the record is old or new, never
        mixed; the card comes back at MF with no credentials."""
        spec = FILES.get((self.df, self.ef)) if self.ef else None
        if spec is None or spec[0] != "rec" or spec[2] not in self.creds or spec[3]:
            return
        records = self.records[(self.df, self.ef)]
        if number > len(records):
            return
        old = records[number - 1]
        while filler in old[2:]:  # every new byte differs from every old one: a mixed record shows
            filler = (filler + 1) % 256
        body = old[:2] + bytes([filler]) * (len(old) - 2)
        self.card.faults.power_loss_after(k)
        try:
            _, sw = self.send(hx(f"00DC{number:02X}04{len(body):02X}") + body)
        except CardPowerLost:
            self.card.powerUp()
            path = [0xDDF1] + ([int(self.df, 16)] if self.df != DDF1 else []) + [int(self.ef, 16)]
            node = self.card.node(*path)
            now = self.card.nvm.read(node.region, node.offset_of(number - 1), len(old))
            assert now in (old, body), f"torn record: {now.hex()} is neither old nor new after a tear at {k}"
            records[number - 1] = now
            self.df, self.ef, self.creds, self.challenge = MF, None, set(), None
            return
        finally:
            self.card.faults.clear()
        assert sw == 0x9000
        records[number - 1] = body

    @rule(correct=st.booleans())
    def verify_pin(self, correct):
        _, sw = self.send("0020000003" + ("123456" if correct else "000000"))
        if self.pin_tries == 0:
            assert sw == 0x6983
        elif correct:
            assert sw == 0x9000
            self.pin_tries = 3
        else:
            self.pin_tries -= 1
            assert sw == 0x63C0 | self.pin_tries

    @rule()
    def reset(self):
        self.card.reset()
        self.df, self.ef, self.creds, self.challenge = MF, None, set(), None

    @invariant()
    def credentials_match_the_model(self):
        """Probe every modelled record file of every DF (the card's volatile state is put back after:
        SELECT and READ RECORD program nothing): readable exactly when the model holds its read key.
        A credential the card kept after leaving its DF shows at the step that left the DF."""
        if self.card is None:
            return
        clone = self.card
        saved = self._volatile()
        creds = set(self.creds)  # what the clone should hold as it moves (the model's DF rule)
        for probe_df in dict.fromkeys((self.df, *PROBE_DFS)):
            keep = set(_chain(probe_df))
            creds = {c for c in creds if KEY_DF[c] in keep}
            for (df, fid), (kind, read_key, _, _) in FILES.items():
                if df != probe_df or kind != "rec":
                    continue
                assert clone.execute(hx(_select_path(df, fid)))[-2:] == hx("9000")
                resp = clone.execute(hx("00B2010400"))
                expected = "9000" if read_key is None or read_key in creds else "6982"
                assert resp[-2:] == hx(expected), (
                    f"credentials: {df}/{fid} answered {resp[-2:].hex()}, "
                    f"model holds {sorted(creds)} (of {sorted(self.creds)} in {self.df})"
                )
        self._restore(saved)

    @invariant()
    def retry_counters_match_the_model(self):
        """Every external-authentication key's remaining tries (as stored) and the PIN's (as the card
        answers a VERIFY without data) equal the model's: a try that was not spent shows at once."""
        if self.card is None:
            return
        for label, df in KEY_DF.items():
            ref = SPEC[label].ref
            node = self.card.node(0xDDF1) if df == DDF1 else self.card.node(0xDDF1, int(df, 16))
            stored = key_tries(self.card, node.keys[ref])
            assert stored == self.tries[label], f"key tries: {label} has {stored}, model {self.tries[label]}"
        saved = self._volatile()
        resp = self.card.execute(hx("00200000"))  # VERIFY without data: the retry-counter query
        self._restore(saved)
        expected = 0x6983 if self.pin_tries == 0 else 0x63C0 | self.pin_tries
        got = (resp[-2] << 8) | resp[-1]
        assert got == expected, f"PIN tries: card answers {got:04X}, model {expected:04X}"

    @invariant()
    def never_a_handler_bug(self):
        if self.card is not None:
            assert self.card.last_exception is None, self.card.last_exception


TestCardMachine = CardMachine.TestCase
TestCardMachine.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
