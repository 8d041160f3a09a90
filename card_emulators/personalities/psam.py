"""The PSAM (terminal security module) personality (DIGEST §2.3).

Tree: MF 3F00 (PIN ref 00) / DF01 with the master keys addressed by their 2-byte index, EF01 SAM
number, EF02 issuer certificate, EF03 organisation certificate (free read), EF0F the SM2 private key
of the sign service (never readable). Commands beyond the standard set:

* ``80 DE <P1> <P2> <Lc> <data>`` DELIVER KEY: P1P2 = key index; P1 high nibble 2 = one level
  (Lc 10: card number 8 + random 8), 4 = two levels (Lc 18: card number 8 + city 8 + random 8).
  Needs the PIN. Sets the session key = master diversified by card number [, city], then random.
* ``80 FA 00 00 <Lc> <data>`` CIPHER encrypt (SM4-ECB, Lc multiple of 16) and
  ``80 FA 05 00 <Lc> <IV 16 || data padded 80 00..>`` MAC (SM4-CBC, 4-byte MAC). Need a session key.
* ``00 2A 90 80 <Lc> <data>`` PSO HASH: SM3 digest (32 bytes) [I: ISO/IEC 7816-8 PSO].
* ``00 2A 9E 9A 20 <e>`` PSO COMPUTE DIGITAL SIGNATURE over a 32-byte SM2 digest e: r||s (64 B);
  needs the PIN [I].
Outputs come through GET RESPONSE (61xx) when Le is absent, like the T=0 SAMs of the observed flow.
"""

from __future__ import annotations

from card_emulators.engine import scheme
from card_emulators.engine.apdu import SW, Command, StatusError
from card_emulators.engine.card import IsoCard
from card_emulators.engine.commands import PLAIN
from card_emulators.engine.filesystem import DF, FREE, NEVER, KeyObject, PinObject, TransparentEF
from card_emulators.engine.security import key_value
from ehc.gm import SM2PrivateKey, sm3, sm4_cbc_encrypt, sm4_ecb_encrypt

__all__ = ["Psam", "build_psam_tree", "PSAM_ATR", "PSAM_PERSONALITY", "PSAM_FILES"]

PSAM_PERSONALITY = "psam"
PSAM_ATR = bytes.fromhex("3B6900005053414D4843010000")  # [I] "PSAMHC" in the historical bytes
PSAM_FILES = {
    "sam_number": 0xEF01,
    "issuer_certificate": 0xEF02,
    "org_certificate": 0xEF03,
    "sign_key": 0xEF0F,
}
SAM_NUMBER_SIZE = 22  # AN: organisation code (up to 18) + 4-digit department code [I]
CERT_SIZE = 180


def build_psam_tree(key_indexes: list[int]) -> DF:
    mf = DF(0x3F00, label="MF")
    mf.pins[0x00] = PinObject(0x00, "", max_tries=3, puk_max_tries=10)
    df01 = mf.add(DF(0xDF01, label="DF01 PSAM application"))
    assert isinstance(df01, DF)
    for index in key_indexes:
        df01.keys[index] = KeyObject(index, "psam", "", max_tries=0xFF, label=f"{index:04X}")
    df01.add(TransparentEF(0xEF01, label="EF01 SAM number", read=FREE, update=NEVER, size=SAM_NUMBER_SIZE))
    df01.add(TransparentEF(0xEF02, label="EF02 issuer certificate", read=FREE, update=NEVER, size=CERT_SIZE))
    df01.add(
        TransparentEF(0xEF03, label="EF03 organisation certificate", read=FREE, update=NEVER, size=CERT_SIZE)
    )
    df01.add(TransparentEF(0xEF0F, label="EF0F SM2 signing key", read=NEVER, update=NEVER, size=32))
    return mf


def _require_pin(card: IsoCard) -> None:
    if (card.mf.path, "pin", 0x00) not in card.security:
        raise StatusError(SW.SECURITY_STATUS)


def deliver_key(card: Psam, cmd: Command) -> bytes:
    levels = {0x2: 1, 0x4: 2}.get(cmd.p1 >> 4)
    if levels is None:
        raise StatusError(SW.WRONG_P1P2)
    if len(cmd.data) != 8 * (levels + 1):
        raise StatusError(SW.WRONG_LENGTH)
    _require_pin(card)
    found = card.current_df.find_key(cmd.p1p2)
    if found is None or found[1].usage != "psam":
        raise StatusError(SW.REF_DATA_NOT_FOUND)
    factors = [cmd.data[i : i + 8] for i in range(0, len(cmd.data), 8)]
    card.session_key = scheme.diversify_chain(key_value(card, found[1]), *factors)
    return b""


def cipher_data(card: Psam, cmd: Command) -> bytes:
    if cmd.p2 != 0x00 or cmd.p1 not in (0x00, 0x05):
        raise StatusError(SW.WRONG_P1P2)
    if card.session_key is None:
        raise StatusError(SW.CONDITIONS)
    data = cmd.data
    if cmd.p1 == 0x00:
        if not data or len(data) % 16:
            raise StatusError(SW.WRONG_LENGTH)
        return sm4_ecb_encrypt(card.session_key, data)
    if len(data) < 32 or len(data) % 16:
        raise StatusError(SW.WRONG_LENGTH)
    return sm4_cbc_encrypt(card.session_key, data[:16], data[16:])[-16:][:4]


def perform_security_operation(card: Psam, cmd: Command) -> bytes:
    if cmd.p1p2 == 0x9080:
        if not cmd.data:
            raise StatusError(SW.WRONG_LENGTH)
        return sm3(cmd.data)
    if cmd.p1p2 == 0x9E9A:
        if len(cmd.data) != 32:
            raise StatusError(SW.WRONG_LENGTH)
        _require_pin(card)
        raw = card.nvm.read(card.mf.child(0xDF01, DF).child(0xEF0F, TransparentEF).region)
        if not any(raw):
            raise StatusError(SW.REFERENCE_DATA_UNUSABLE)
        return SM2PrivateKey.from_bytes(raw).sign_digest(cmd.data)
    raise StatusError(SW.WRONG_P1P2)


class Psam(IsoCard):
    """A PSAM: DELIVER KEY / CIPHER DATA / PSO on top of the ISO engine."""

    personality = PSAM_PERSONALITY

    def __init__(
        self, atr: bytes = PSAM_ATR, mf: DF | None = None, *, key_indexes: list[int] | None = None
    ) -> None:
        super().__init__(atr, mf or build_psam_tree(key_indexes or []), t0_get_response=True)
        self.handlers[0xDE] = (deliver_key, frozenset({0x80}))  # type: ignore[assignment]
        self.handlers[0xFA] = (cipher_data, frozenset({0x80}))  # type: ignore[assignment]
        self.handlers[0x2A] = (perform_security_operation, PLAIN)  # type: ignore[assignment]

    def _reset_volatile(self) -> None:
        super()._reset_volatile()
        self.session_key: bytes | None = None

    def set_current_df(self, df: DF) -> None:
        if df is not self.current_df:
            self.session_key = None
        super().set_current_df(df)
