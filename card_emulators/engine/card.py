"""The card OS: vsmartcard's interface (getATR / powerUp / powerDown / reset / execute) over an
ISO/IEC 7816-4 engine with an INS -> handler table, a file system, a security state and a journal.

``execute`` never raises on any byte string: every malformed or unsupported command gets a status
word. It raises only for injected faults (power loss, removal) and when the card is not powered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from card_emulators.engine import commands
from card_emulators.engine.apdu import SW, Command, Reply, StatusError, parse_command, sw_bytes
from card_emulators.engine.filesystem import DF, EF, allocate
from card_emulators.engine.nvm import NonVolatileMemory, Tear
from card_emulators.errors import CardNotPowered, CardPowerLost, CardRemoved
from card_emulators.faults import FaultPlan
from ehc.gm import random_bytes

__all__ = ["CardOS", "IsoCard", "Handler"]

_SW_OK = sw_bytes(SW.OK)
_SW_WRONG_LENGTH = sw_bytes(SW.WRONG_LENGTH)
_SW_NO_DIAGNOSIS = sw_bytes(SW.NO_DIAGNOSIS)
# Classes that pass the CLA checks of _refuse (interindustry, no logical channel, with or without SM).
_PLAIN_CLASSES = frozenset(c | sm for c in (0x00, 0x80) for sm in (0x00, 0x04, 0x08, 0x0C))

Handler = Callable[["IsoCard", Command], "bytes | Reply"]


@runtime_checkable
class CardOS(Protocol):
    """What a transport needs from a card (vsmartcard's names plus pythonic aliases)."""

    def getATR(self) -> bytes: ...  # noqa: N802 - vsmartcard's name
    def powerUp(self) -> None: ...  # noqa: N802
    def powerDown(self) -> None: ...  # noqa: N802
    def reset(self) -> None: ...
    def execute(self, apdu: bytes) -> bytes: ...
    def transmit(self, apdu: bytes) -> bytes: ...
    @property
    def atr(self) -> bytes: ...


class IsoCard:
    """An ISO/IEC 7816-4 card. Personalities add handlers to ``handlers`` and files under ``mf``.

    ``t0_get_response``: a command that produces data but came without Le (case 3 over T=0) answers
    ``61xx`` and leaves the data for GET RESPONSE, as T=0 cards do (DIGEST: 61xx on DDF1, PSAM
    GET RESPONSE). With Le present the data comes at once.
    """

    personality = "iso7816"

    def __init__(self, atr: bytes, mf: DF, *, t0_get_response: bool = True) -> None:
        self._atr = bytes(atr)
        self.mf = mf
        self.nvm = NonVolatileMemory()
        allocate(self.nvm, mf)
        self.t0_get_response = t0_get_response
        self.handlers: dict[int, tuple[Handler, frozenset[int]]] = dict(commands.STANDARD_HANDLERS)
        self.faults = FaultPlan()
        self.powered = False
        self.clock: Callable[[float], None] = time.sleep
        self.last_exception: Exception | None = None
        self._reset_volatile()

    # --- vsmartcard card-OS interface ---------------------------------------------------------------
    def getATR(self) -> bytes:  # noqa: N802
        return self._atr

    @property
    def atr(self) -> bytes:
        return self._atr

    def powerUp(self) -> None:  # noqa: N802
        self.nvm.recover()
        self._reset_volatile()
        self.powered = True

    def powerDown(self) -> None:  # noqa: N802
        self._reset_volatile()
        self.powered = False

    def reset(self) -> None:
        self.powerDown()
        self.powerUp()

    def transmit(self, apdu: bytes) -> bytes:
        return self.execute(apdu)

    def execute(self, apdu: bytes) -> bytes:
        """One command APDU in, response data + SW1 SW2 out."""
        if not self.powered:
            raise CardNotPowered()
        if type(apdu) is not bytes:
            apdu = bytes(apdu)
        cmd = parse_command(apdu)
        ins = apdu[1] if len(apdu) > 1 else 0
        if self.faults.faults:  # the plan is consulted only when something is armed (hot path)
            for fault in self.faults.take(ins):
                if fault.kind == "latency":
                    self.clock(float(fault.value))
                elif fault.kind == "remove":
                    self.powerDown()
                    raise CardRemoved(ins=f"{ins:02X}")
                elif fault.kind == "force_sw":
                    return sw_bytes(int(fault.value))
                elif fault.kind == "power_loss":
                    self.nvm.write_budget = int(fault.value)
        try:
            return self._dispatch(cmd)
        except Tear:
            self.powerDown()
            raise CardPowerLost(ins=f"{ins:02X}") from None
        finally:
            self.nvm.write_budget = None

    # --- dispatch ----------------------------------------------------------------------------------
    def _dispatch(self, cmd: Command | None) -> bytes:
        if cmd is None:
            self.pending = b""
            return _SW_WRONG_LENGTH
        cla = cmd.cla
        ins = cmd.ins
        if ins != 0xC0:
            self.pending = b""
        entry = self.handlers.get(ins)
        # Fast path: a well-formed class the handler accepts passes every class check of _refuse, so
        # those checks (whose order decides the status word) run only for commands that may fail them.
        if entry is None or cla not in _PLAIN_CLASSES or cla not in entry[1] or ins & 0xF0 in (0x60, 0x90):
            refused = self._refuse(cla, ins, entry)
            if refused is not None:
                return refused
        try:
            data = entry[0](self, cmd)  # type: ignore[index]
        except StatusError as status:
            return sw_bytes(status.sw)
        except Tear:
            raise
        except Exception as exc:  # a handler bug must not crash the reader: "no precise diagnosis"
            self.last_exception = exc  # kept for the kit's own tests, which fail on any 6F00
            return _SW_NO_DIAGNOSIS
        return self.finish(cmd, data)

    @staticmethod
    def _refuse(cla: int, ins: int, entry: tuple[Handler, frozenset[int]] | None) -> bytes | None:
        """The status word for a command no handler may run (ISO 7816-4 order of checks); None = run it."""
        if cla == 0xFF or (cla & 0xF0) not in (0x00, 0x80):
            return sw_bytes(SW.CLA_NOT_SUPPORTED)
        if entry is None or ins & 0xF0 in (0x60, 0x90):
            return sw_bytes(SW.INS_NOT_SUPPORTED)
        if cla & 0x03:
            return sw_bytes(SW.FUNCTION_IN_CLA)  # logical channels are not implemented
        if cla not in entry[1]:
            return sw_bytes(SW.SM_NOT_SUPPORTED if cla & 0x0C else SW.CLA_NOT_SUPPORTED)
        return None

    def finish(self, cmd: Command, data: bytes | Reply) -> bytes:
        """Apply the Le rules: 61xx when Le is absent on T=0, 6Cxx when Le is wrong."""
        if not data:
            return _SW_OK
        if isinstance(data, Reply):
            return data.data + sw_bytes(data.sw)
        if cmd.le is None:
            if self.t0_get_response:
                self.pending = data
                return sw_bytes(SW.MORE_DATA | min(len(data), 256) % 256)
            return data + _SW_OK
        if cmd.le in (256, 65536) or cmd.le == len(data):
            return data[: cmd.le] + _SW_OK
        if len(data) <= 255:
            return sw_bytes(SW.WRONG_LE | len(data))
        return sw_bytes(SW.WRONG_LENGTH)

    # --- state -------------------------------------------------------------------------------------
    def _reset_volatile(self) -> None:
        self.current_df: DF = self.mf
        self.current_ef: EF | None = None
        self.security: set[tuple[tuple[int, ...], str, int]] = set()
        self.challenge: bytes | None = None
        self.pending = b""

    def set_current_df(self, df: DF) -> None:
        """Keep credentials obtained in ``df`` or its ancestors; drop everything else."""
        if self.security:
            # The ancestors' paths are exactly the prefixes of df's path (paths start at the MF).
            path = df.path
            self.security = {cred for cred in self.security if path[: len(cred[0])] == cred[0]}
        if df is not self.current_df:
            self.challenge = None
        self.current_df = df
        self.current_ef = None

    def random(self, n: int) -> bytes:
        """Card random numbers (GET CHALLENGE); tests may replace it for reproducible transcripts."""
        return random_bytes(n)

    # --- card images -------------------------------------------------------------------------------
    def annotate_image(self, image: dict) -> dict:
        """Personalities add decoded item values to a card image (for people reading it)."""
        return image

    def save(self, path) -> None:
        """Write this card as a JSON card image (``card_emulators.personalise.load_card`` reads it)."""
        import json
        from pathlib import Path

        from card_emulators.engine.image import card_to_image

        img = self.annotate_image(card_to_image(self))
        img["warning"] = "TEST-ONLY card image: contains key material"
        Path(path).write_text(json.dumps(img, ensure_ascii=False, indent=1), encoding="utf-8")

    # --- persistent helpers --------------------------------------------------------------------------
    def write(self, writes: list[tuple[str, int, bytes]]) -> None:
        """Journaled write of several regions (all or nothing across a power loss)."""
        self.nvm.transaction(writes)
