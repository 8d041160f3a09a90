"""Shared fixtures: a TEST-ONLY key set, an issuer key, a person, fresh personalised cards and PSAMs."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from ce_helpers import PERSON

from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
from ehc.gm import SM2PrivateKey


@pytest.fixture(scope="session")
def keys() -> CardKeys:
    return CardKeys.test_only("tests")


@pytest.fixture(scope="session")
def issuer_key() -> SM2PrivateKey:
    return SM2PrivateKey.from_int(0x1234567890ABCDEF1234567890ABCDEF)


@pytest.fixture(scope="session")
def _template_card(keys, issuer_key):
    return personalise_user_card(PERSON, keys, issuer_key, issue_date=dt.date(2024, 1, 2), serial="00000042")


@pytest.fixture(scope="session")
def _template_psam(keys):
    return new_psam(keys, sign_key=SM2PrivateKey.from_int(0xC0FFEE))


@pytest.fixture
def card(_template_card):
    """A powered personalised user card (a fresh copy per test)."""
    c = copy.deepcopy(_template_card)
    c.powerUp()
    return c


@pytest.fixture
def psam(_template_psam):
    p = copy.deepcopy(_template_psam)
    p.powerUp()
    return p
