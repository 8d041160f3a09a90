"""Adapter interface of the ``card`` role (resident health card, WS/T 543) and its transports.

A card adapter offers:

* ``atr() -> bytes`` and ``reset()`` (cold reset: security state must be lost)
* ``transmit(apdu) -> bytes``   response data + SW1 SW2, logged to the transcript
* ``psam(apdu) -> bytes``       the lab's PSAM (lower tester) holding the matching master keys
* ``psam_pin``                   the PSAM's PIN
* ``holder() -> dict``           what the lab personalised (for value checks), may be empty

``emulated`` personalises an in-process card (``card_emulators``) for a synthetic person with
TEST-ONLY keys; ``NAME`` (or ``reader:NAME``) talks to a real card through pyscard/pcscd, with the
lab PSAM found in another reader, named (``Card Reader 0;psam=PSAM Reader 0``) or the kit's
TEST-ONLY PSAM (``Card Reader 0;psam=emulated``). Errors: EhcError ADAPTER_UNKNOWN for a spec that
cannot be read (usage), ADAPTER_UNAVAILABLE for a reader, card or PSAM that is not there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN, DUT_SPEC_INVALID

TEST_PERSON: dict[str, Any] = {
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
        from card_emulators.personalise import (
            DEFAULT_PIN,
            DEFAULT_PUK,
            CardKeys,
            new_psam,
            personalise_user_card,
        )
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
        self.psam_puk: str | None = DEFAULT_PUK  # the kit's own emulator: the personaliser's PUK
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
        log_psam_apdu(self.log, apdu, response)
        return response


def log_psam_apdu(log: Any, apdu: bytes, response: bytes) -> None:
    """A PSAM exchange in the transcript; RESET RETRY COUNTER (INS 2C) without its data: the PUK
    the lab gave must not reach a report."""
    if len(apdu) > 5 and apdu[1] == 0x2C:
        log.apdu(apdu[:5], response, note="PSAM; command data (the PUK) not recorded")
    else:
        log.apdu(apdu, response, note="PSAM")


PUK_ENV = "EHC_PSAM_PUK"  # the lab's PUK of a real PSAM under test (digits); kept out of reports


def lab_puk() -> str | None:
    """The PUK the lab gave for a real PSAM (``$EHC_PSAM_PUK``), or None when it gave none.

    An environment variable like the node's KEK (``EHC_NODE_KEK``): a profile parameter or a
    declaration entry would be copied into report.json, and a command-line value into shell history
    and process lists. 4 to 16 digits; anything else is a usage error, never "no PUK"."""
    import os

    value = os.environ.get(PUK_ENV, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and 4 <= len(value) <= 16):
        raise EhcError(DUT_SPEC_INVALID, f"{PUK_ENV} must be the PSAM's PUK, 4 to 16 digits")
    return value


USAGE = (
    'use emulated, mutant:NAME, "READER" (the PSAM is looked for in the other readers), '
    '"READER;psam=PSAM READER" or "READER;psam=emulated" (the kit\'s TEST-ONLY PSAM)'
)


def _send_pcsc(connection: Any, apdu: bytes) -> bytes:
    data, sw1, sw2 = connection.transmit(list(apdu))
    response = bytes(data) + bytes([sw1, sw2])
    if sw1 == 0x61:  # T=0: fetch what the card has pending
        data, sw1, sw2 = connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        response = bytes(data) + bytes([sw1, sw2])
    return response


def looks_like_psam(connection: Any) -> bool:
    """A PSAM answers SELECT 3F00 and SELECT DF01 (its application, DIGEST §2.3) and has no DDF1."""
    ok = (0x90, 0x61)
    if _send_pcsc(connection, bytes.fromhex("00A40000023F00"))[-2] not in ok:
        return False
    if _send_pcsc(connection, bytes.fromhex("00A4000002DDF1"))[-2] in ok:
        return False  # a user card
    _send_pcsc(connection, bytes.fromhex("00A40000023F00"))
    return _send_pcsc(connection, bytes.fromhex("00A4000002DF01"))[-2] in ok


def _quiet_disconnect(connection: Any) -> None:
    try:
        connection.disconnect()
    except Exception:  # noqa: BLE001 - already gone; pyscard raises its own classes
        pass


def discover_psam(available: dict[str, Any], card_reader: str) -> tuple[str, Any]:
    """The one reader other than ``card_reader`` whose card answers like a PSAM, connected; else
    EhcError(ADAPTER_UNAVAILABLE) in one line saying how to fix it."""
    found = []
    for name, reader_obj in available.items():
        if name == card_reader:
            continue
        connection = reader_obj.createConnection()
        try:
            connection.connect()
            if looks_like_psam(connection):
                found.append((name, connection))
                continue
        except Exception:  # noqa: BLE001 - an empty or mute reader is simply not the PSAM
            pass
        _quiet_disconnect(connection)
    if len(found) == 1:
        return found[0]
    for _, connection in found:
        _quiet_disconnect(connection)
    others = [n for n in available if n != card_reader]
    if found:
        why = f"PSAMs in several readers ({', '.join(repr(n) for n, _ in found)})"
    else:
        why = f"no PSAM in the other readers ({', '.join(repr(n) for n in others) or 'none'})"
    raise EhcError(
        ADAPTER_UNAVAILABLE,
        f"{why}: put the lab PSAM in a second reader and pass --reader "
        f"'{card_reader};psam=PSAM READER', or '{card_reader};psam=emulated' for a card "
        "personalised with the kit's TEST-ONLY keys",
    )


def check_lab_psam(reader: str) -> str | None:
    """For a pre-flight check of ``--reader NAME`` alone (no ``;psam=``), before any test runs:
    None when NAME itself holds a PSAM (``ehc certify psam``), else the reader of the lab PSAM.
    Raises EhcError ADAPTER_UNAVAILABLE (exit 3) when the readers, the card or the PSAM are not
    there; every connection it opens is closed again."""
    try:
        from smartcard.System import readers

        available = {str(r): r for r in readers()}
    except Exception as exc:  # noqa: BLE001 - no pyscard, or pcscd away: pyscard's own classes
        raise EhcError(ADAPTER_UNAVAILABLE, f"PC/SC is not reachable (is pcscd running?): {exc}") from None
    if reader not in available:
        names = ", ".join(repr(n) for n in available) or "none"
        raise EhcError(ADAPTER_UNAVAILABLE, f"no reader {reader!r}; available readers: {names}")
    connection = PcscCard._connect(available[reader], reader)
    try:
        if looks_like_psam(connection):
            return None
    finally:
        _quiet_disconnect(connection)
    name, psam_connection = discover_psam(available, reader)
    _quiet_disconnect(psam_connection)
    return name


class _EmulatedPsam:
    """The kit's emulated PSAM with the TEST-ONLY masters: only for cards personalised with them."""

    def __init__(self) -> None:
        from card_emulators.personalise import DEFAULT_PIN, DEFAULT_PUK, CardKeys, new_psam
        from ehc.gm import SM2PrivateKey

        self.sign_key = SM2PrivateKey.from_int(0xC0FFEE1234)  # TEST-ONLY, same as EmulatedCard
        self.card = new_psam(CardKeys.test_only("conformance"), sign_key=self.sign_key)
        self.card.powerUp()
        self.pin = DEFAULT_PIN
        self.puk = DEFAULT_PUK


class PcscCard:
    """A real card (and a real or the kit's emulated PSAM) in PC/SC readers, through pyscard.

    ``psam_reader`` None: the PSAM is the card of another reader that answers like a PSAM (SELECT
    DF01 under the MF, no DDF1); exactly one such reader must be present. ``"emulated"``: the kit's
    TEST-ONLY PSAM (only cards personalised with the kit's test keys authenticate with it).
    For the ``psam`` role the named reader holds the PSAM under test and no user card is needed.
    """

    def __init__(self, run: Any, reader: str, psam_reader: str | None, role: str = "card") -> None:
        try:
            from smartcard.System import readers
        except ImportError as exc:
            raise EhcError(ADAPTER_UNAVAILABLE, f"pyscard is not installed: {exc}") from None
        self.log = run.holder
        self.role = role
        self.profile = run.profile
        self.connection: Any = None
        self.psam_connection: Any = None
        self.emulated_psam: _EmulatedPsam | None = None
        try:
            available = {str(r): r for r in readers()}
        except Exception as exc:  # pcscd not running: pyscard raises its own exception types
            raise EhcError(
                ADAPTER_UNAVAILABLE, f"PC/SC is not reachable (is pcscd running?): {exc}"
            ) from None
        names = ", ".join(repr(n) for n in available) or "none"
        if reader not in available:
            raise EhcError(ADAPTER_UNAVAILABLE, f"no reader {reader!r}; available readers: {names}")
        self.reader = reader
        if role == "psam" and not psam_reader:  # the named reader holds the PSAM under test
            self.psam_connection = self._connect(available[reader], reader)
            self.psam_reader = reader
        else:
            self.connection = self._connect(available[reader], reader)
            if psam_reader == "emulated":
                self.emulated_psam = _EmulatedPsam()
                self.psam_reader = "emulated (TEST-ONLY keys)"
            elif psam_reader:
                if psam_reader not in available:
                    raise EhcError(
                        ADAPTER_UNAVAILABLE, f"no PSAM reader {psam_reader!r}; available readers: {names}"
                    )
                self.psam_connection = self._connect(available[psam_reader], psam_reader)
                self.psam_reader = psam_reader
            else:
                self.psam_reader = self._find_psam(available, reader)
        pin_default = self.emulated_psam.pin if self.emulated_psam else "123456"
        self.psam_pin = str(run.profile.param("card.psam_pin", pin_default))
        # PSAM-011 blocks the PIN: only unblocked with a PUK the lab gave, or the kit's own PSAM's
        self.psam_puk: str | None = self.emulated_psam.puk if self.emulated_psam else lab_puk()

    @staticmethod
    def _connect(reader_obj: Any, name: str) -> Any:
        connection = reader_obj.createConnection()
        try:
            connection.connect()
        except Exception as exc:  # no card in the reader, card mute: pyscard's exception types
            raise EhcError(ADAPTER_UNAVAILABLE, f"reader {name!r}: no usable card ({exc})") from None
        return connection

    def _find_psam(self, available: dict[str, Any], card_reader: str) -> str:
        name, self.psam_connection = discover_psam(available, card_reader)
        self.log.note(f"lab PSAM found in reader {name!r}")
        return name

    def info(self) -> dict[str, Any]:
        return {"adapter": "card:pcsc", "reader": self.reader, "psam": self.psam_reader}

    def holder(self) -> dict[str, Any]:
        if self.emulated_psam is not None:
            return {"psam_sign_public_key_hex": self.emulated_psam.sign_key.public_key.hex()}
        # the lab knows a real PSAM's signing key from its certificate: signatures are then verified
        public = self.profile.param("psam.sign_public_key_hex", "")
        return {"psam_sign_public_key_hex": public} if public else {}

    def _card(self) -> Any:
        if self.connection is None:
            raise EhcError(
                ADAPTER_UNAVAILABLE, "no user card: certify psam with 'CARD READER;psam=PSAM READER'"
            )
        return self.connection

    def atr(self) -> bytes:
        return bytes(self._card().getATR())

    def reset(self) -> None:
        self._card().reconnect(disposition=2)  # SCARD_UNPOWER_CARD: cold reset
        self.log.note("card reset")

    def psam_reset(self) -> None:
        if self.emulated_psam is not None:
            self.emulated_psam.card.reset()
        else:
            self.psam_connection.reconnect(disposition=2)
        self.log.note("PSAM reset")

    @staticmethod
    def _send(connection: Any, apdu: bytes) -> bytes:
        data, sw1, sw2 = connection.transmit(list(apdu))
        return bytes(data) + bytes([sw1, sw2])

    def transmit(self, apdu: bytes) -> bytes:
        response = self._send(self._card(), apdu)
        self.log.apdu(apdu, response)
        return response

    def psam(self, apdu: bytes) -> bytes:
        if self.emulated_psam is not None:
            response = self.emulated_psam.card.transmit(apdu)
        else:
            response = self._send(self.psam_connection, apdu)
        log_psam_apdu(self.log, apdu, response)
        return response

    def close(self) -> None:
        for conn in (self.connection, self.psam_connection):
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
    if spec.startswith("reader:") or ";psam=" in spec or spec.strip():
        # "reader:NAME;psam=NAME", "NAME;psam=NAME", "NAME;psam=emulated" or just "NAME"
        parts = spec.removeprefix("reader:").split(";")
        name = parts[0].strip()
        if not name:
            raise EhcError(ADAPTER_UNKNOWN, f"card adapter {spec!r}: {USAGE}")
        options = {}
        for part in parts[1:]:
            key, sep, value = part.partition("=")
            if not sep or key.strip() != "psam" or not value.strip():
                raise EhcError(ADAPTER_UNKNOWN, f"card adapter {spec!r}: unknown option {part!r}; {USAGE}")
            options[key.strip()] = value.strip()
        return PcscCard(run, name, options.get("psam"), role=getattr(run, "role", "card"))
    raise EhcError(ADAPTER_UNKNOWN, f"card adapter {spec!r}: {USAGE}")
