"""Adapter interface of the ``card`` role (resident health card, WS/T 543) and its transports.

A card adapter offers:

* ``atr() -> bytes`` and ``reset()`` (cold reset: security state must be lost)
* ``transmit(apdu) -> bytes``   response data + SW1 SW2, logged to the transcript
* ``psam(apdu) -> bytes``       the lab's PSAM (lower tester) holding the matching master keys
* ``psam_pin``                   the PSAM's PIN
* ``holder() -> dict``           what the lab personalised (for value checks), may be empty

``emulated`` personalises an in-process card (``card_emulators``) for a synthetic person with
TEST-ONLY keys; ``reader:NAME`` talks to a real card through pyscard/pcscd, with the PSAM in
``psam=NAME`` (``reader:Card Reader 0;psam=PSAM Reader 0``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN

TEST_PERSON = {
    "person_id": "CONF-0001",
    "name": "测试持卡人",
    "sex": "2",
    "nation": "01",
    "birth_date": "1985-03-07",
    "id_type": "01",
    "area_code": "370811",
    "phone": "13800000000",
    "address": "山东省济宁市任城区测试路1号",
}


class EmulatedCard:
    """An in-process WS/T 543 card and PSAM with TEST-ONLY keys (the kit's reference card)."""

    name = "card_emulators (reference, TEST-ONLY keys)"

    def __init__(self, run: Any) -> None:
        from card_emulators.personalise import DEFAULT_PIN, CardKeys, new_psam, personalise_user_card
        from ehc.gm import SM2PrivateKey
        from ehc.spec.identifiers import make_citizen_id
        from ehc.spec.model import Person

        self.log = run.holder
        id_number = make_citizen_id("370811", dt.date(1985, 3, 7), 124)
        self.person = Person(**TEST_PERSON, id_number=id_number)
        keys = CardKeys.test_only("conformance")
        issuer = SM2PrivateKey.from_int(0x1234567890ABCDEF)  # TEST-ONLY issuer key
        photo = b"\xff\xd8TEST-ONLY-PHOTO" + bytes(range(256)) * 4
        self.card = personalise_user_card(
            self.person, keys, issuer, issue_date=dt.date(2024, 1, 2), photo=photo
        )
        self.psam_sign_key = SM2PrivateKey.from_int(0xC0FFEE1234)  # TEST-ONLY PSAM signing key
        self.psam_card = new_psam(keys, sign_key=self.psam_sign_key)
        self.psam_pin = DEFAULT_PIN
        self.card.powerUp()
        self.psam_card.powerUp()
        self.photo_length = len(photo)

    def info(self) -> dict[str, Any]:
        return {"adapter": "card:emulated", "implementation": self.name}

    def holder(self) -> dict[str, Any]:
        return {
            "id_number": self.person.id_number,
            "name": self.person.name,
            "city": "370800",
            "psam_sign_public_key_hex": self.psam_sign_key.public_key.hex(),
        }

    def atr(self) -> bytes:
        return self.card.getATR()

    def reset(self) -> None:
        self.card.reset()
        self.log.note("card reset")

    def psam_reset(self) -> None:
        self.psam_card.reset()
        self.log.note("PSAM reset")

    def _raw_transmit(self, apdu: bytes) -> bytes:
        return self.card.transmit(apdu)

    def transmit(self, apdu: bytes) -> bytes:
        response = self._raw_transmit(apdu)
        self.log.apdu(apdu, response)
        return response

    def psam(self, apdu: bytes) -> bytes:
        response = self.psam_card.transmit(apdu)
        self.log.apdu(apdu, response, note="PSAM")
        return response


class PcscCard:
    """A real card (and optionally a real PSAM) in PC/SC readers, through pyscard."""

    def __init__(self, run: Any, reader: str, psam_reader: str | None) -> None:
        try:
            from smartcard.System import readers
        except ImportError as exc:
            raise EhcError(ADAPTER_UNAVAILABLE, f"pyscard is not installed: {exc}") from None
        self.log = run.holder
        available = {str(r): r for r in readers()}
        if reader not in available:
            raise EhcError(
                ADAPTER_UNAVAILABLE, f"no reader {reader!r}; available: {', '.join(available) or 'none'}"
            )
        self.connection = available[reader].createConnection()
        self.connection.connect()
        self.reader = reader
        if psam_reader:
            if psam_reader not in available:
                raise EhcError(ADAPTER_UNAVAILABLE, f"no PSAM reader {psam_reader!r}")
            self.psam_connection = available[psam_reader].createConnection()
            self.psam_connection.connect()
        else:
            raise EhcError(ADAPTER_UNAVAILABLE, "a real card needs the lab PSAM: reader:NAME;psam=NAME")
        self.psam_pin = str(run.profile.param("card.psam_pin", "123456"))

    def info(self) -> dict[str, Any]:
        return {"adapter": "card:pcsc", "reader": self.reader}

    def holder(self) -> dict[str, Any]:
        return {}

    def atr(self) -> bytes:
        return bytes(self.connection.getATR())

    def reset(self) -> None:
        self.connection.reconnect(disposition=2)  # SCARD_UNPOWER_CARD: cold reset
        self.log.note("card reset")

    def psam_reset(self) -> None:
        self.psam_connection.reconnect(disposition=2)
        self.log.note("PSAM reset")

    @staticmethod
    def _send(connection: Any, apdu: bytes) -> bytes:
        data, sw1, sw2 = connection.transmit(list(apdu))
        return bytes(data) + bytes([sw1, sw2])

    def transmit(self, apdu: bytes) -> bytes:
        response = self._send(self.connection, apdu)
        self.log.apdu(apdu, response)
        return response

    def psam(self, apdu: bytes) -> bytes:
        response = self._send(self.psam_connection, apdu)
        self.log.apdu(apdu, response, note="PSAM")
        return response

    def close(self) -> None:
        for conn in (self.connection, getattr(self, "psam_connection", None)):
            if conn is not None:
                conn.disconnect()


def make(spec: str, run: Any) -> Any:
    if spec in ("emulated", "reference"):
        return EmulatedCard(run)
    if spec.startswith("mutant:"):
        name = spec[len("mutant:") :]
        if getattr(run, "role", "card") == "psam":
            from ..mutants.psam import make_mutant as make_psam_mutant

            return make_psam_mutant(name, run)
        from ..mutants.card import make_mutant

        return make_mutant(name, run)
    if spec.startswith("reader:") or ";psam=" in spec:  # "reader:NAME;psam=NAME" or "NAME;psam=NAME"
        parts = spec.removeprefix("reader:").split(";")
        psam = next((p[len("psam=") :] for p in parts[1:] if p.startswith("psam=")), None)
        return PcscCard(run, parts[0], psam)
    raise EhcError(
        ADAPTER_UNKNOWN, f"card adapter {spec!r}: use emulated, reader:NAME;psam=NAME, mutant:NAME"
    )
