"""TEST-ONLY cards for the APDU harnesses: a personalised user card and a PSAM, fresh or already
authenticated (so fuzzed write commands reach the write paths, not only 6982)."""

from __future__ import annotations

import copy
import datetime as dt
from functools import lru_cache

from card_emulators import flows
from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
from card_emulators.personalities.psam import Psam
from ehc.gm import SM2PrivateKey
from ehc.spec.model import Person

PERSON = Person(
    person_id="FUZZ0001",
    name="测试卡主",
    sex="2",
    nation="01",
    birth_date="1949-12-31",
    id_type="01",
    id_number="11010519491231002X",  # GB 11643 standard's example number, not a real person
    area_code="370811",
    phone="13800000000",
    address="TEST-ONLY address",
)


@lru_cache(maxsize=1)
def keys() -> CardKeys:
    return CardKeys.test_only("fuzz")


@lru_cache(maxsize=1)
def _templates() -> dict[str, object]:
    card = personalise_user_card(
        PERSON, keys(), SM2PrivateKey.from_int(0x5EED), issue_date=dt.date(2024, 1, 2), serial="00000077"
    )
    psam = new_psam(keys(), sign_key=SM2PrivateKey.from_int(0xC0FFEE))
    card.random = lambda n: bytes(range(n))  # reproducible transcripts: a fuzz input replays exactly
    card.powerUp()
    psam.powerUp()
    out: dict[str, object] = {"card": copy.deepcopy(card), "psam": copy.deepcopy(psam)}
    flows.open_psam(psam.transmit)
    out["psam_open"] = copy.deepcopy(psam)
    city = card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"
    flows.select(card.transmit, 0xDDF1)
    flows.authenticate(card.transmit, psam.transmit, card.card_number, city, "RK_DDF1")
    flows.authenticate(card.transmit, psam.transmit, card.card_number, city, "UK_DDF1")
    out["card_ddf1_auth"] = copy.deepcopy(card)
    flows.select(card.transmit, 0xDF03)
    flows.authenticate(card.transmit, psam.transmit, card.card_number, city, "RK_DF03")
    flows.authenticate(card.transmit, psam.transmit, card.card_number, city, "UK_DF03_2")
    out["card_df03_auth"] = copy.deepcopy(card)
    return out


def fresh(name: str):  # noqa: ANN201 - UserCard or Psam
    """A deep copy of a template: ``card``, ``card_ddf1_auth``, ``card_df03_auth``, ``psam``, ``psam_open``."""
    return copy.deepcopy(_templates()[name])


def is_psam(card: object) -> bool:
    return isinstance(card, Psam)


_VOLATILE = ("current_df", "current_ef", "security", "challenge", "pending", "powered", "session_key")


class Reusable:
    """One card restored to its template state before each input: ~50x cheaper than a deep copy.

    Restores the non-volatile memory (regions, journal, flag) and the volatile security state;
    the file tree's structure never changes at run time, so it is shared.
    """

    def __init__(self, name: str) -> None:
        self.card = fresh(name)
        nvm = self.card.nvm
        self._regions = {n: bytes(r) for n, r in nvm.regions.items()}
        self._journal = (bytes(nvm.journal), nvm._journal_len, nvm.commit_flag)
        self._volatile = {k: copy.copy(getattr(self.card, k)) for k in _VOLATILE if hasattr(self.card, k)}

    def restore(self):  # noqa: ANN201
        card, nvm = self.card, self.card.nvm
        for n, data in self._regions.items():
            nvm.regions[n][:] = data
        journal, nvm._journal_len, nvm.commit_flag = self._journal
        nvm.journal = bytearray(journal)
        nvm.write_budget = None
        for k, v in self._volatile.items():
            setattr(card, k, copy.copy(v))
        card.faults.clear()
        card.last_exception = None
        return card
