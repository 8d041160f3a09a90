"""Adapter interface of the ``codec`` role (a QR text parser/builder library) and the reference
adapter over ``qr_codec``.

A codec adapter offers:

* ``parse(text) -> Outcome``                 form-only parse, as a terminal does (no key)
* ``open(text, protect_key, now) -> Outcome`` parse and check a dynamic code's validity time
* ``classify(text) -> Outcome``              what a terminal forwards: national code or opaque token
* ``derive_ehcid(main_index, root_key, doc_type, doc_number) -> str``
* ``seal_validity(protect_key, when) -> str``
* ``info() -> dict``                         name/version for the report

Every call is written to the running test's transcript.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNKNOWN


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    kind: str | None = None  # static | dynamic | opaque
    ehcid: str | None = None
    validity_field: str | None = None
    valid_until: str | None = None  # YYYYMMDDHHMMSS wall-clock time
    text: str | None = None
    error: str | None = None  # the DUT's stable error code
    message: str | None = None  # the DUT's error message as a user would see it
    crashed: bool = False  # raised something other than its documented error type


class ReferenceCodec:
    """``qr_codec`` configured from the profile (accepted EHCID lengths, opaque limit)."""

    name = "qr_codec (reference)"

    def __init__(self, run: Any) -> None:
        from qr_codec import text as qr_text

        self._qr = qr_text
        profile = run.profile
        lengths = tuple(profile.param("qr.ehcid_hex_lengths", [64]))
        self.policy = qr_text.QrPolicy(
            ehcid_hex_lengths=lengths,
            default_lifetime=dt.timedelta(seconds=profile.param("dynamic_code.lifetime_seconds", 300)),
            max_lifetime=max(
                dt.timedelta(hours=1),
                dt.timedelta(seconds=profile.param("dynamic_code.lifetime_seconds", 300)),
            ),
        )
        self.opaque_max = int(profile.param("qr.opaque_max_length", 256))
        self.log = run.holder

    def info(self) -> dict[str, Any]:
        import qr_codec

        return {"adapter": "codec:reference", "implementation": self.name, "module": qr_codec.__name__}

    # ---------------------------------------------------------------- helpers
    def _outcome(self, method: str, request: dict[str, Any], fn) -> Outcome:
        try:
            value = fn()
        except EhcError as exc:
            out = Outcome(False, error=exc.code.name, message=str(exc))
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, recorded as such
            out = Outcome(False, error=type(exc).__name__, message=str(exc)[:200], crashed=True)
        else:
            out = self._from_value(value)
        self.log.call(method, request, {k: v for k, v in asdict(out).items() if v not in (None, False)})
        return out

    def _from_value(self, value: Any) -> Outcome:
        if isinstance(value, self._qr.OpaqueToken):
            return Outcome(True, kind="opaque", text=value.text)
        valid_until = value.valid_until.strftime("%Y%m%d%H%M%S") if value.valid_until else None
        return Outcome(True, value.kind, value.ehcid, value.validity_field, valid_until, value.text)

    # ---------------------------------------------------------------- interface
    def parse(self, text: str) -> Outcome:
        return self._outcome("parse", {"text": text}, lambda: self._qr.parse(text, policy=self.policy))

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        request = {"text": text, "now": now.strftime("%Y%m%d%H%M%S"), "protect_key": "<TEST-ONLY key>"}
        return self._outcome(
            "open", request, lambda: self._qr.parse(text, protect_key, now, policy=self.policy)
        )

    def classify(self, text: str) -> Outcome:
        return self._outcome(
            "classify",
            {"text": text},
            lambda: self._qr.classify(text, max_length=self.opaque_max, policy=self.policy),
        )

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from qr_codec.ehcid import derive_ehcid

        result = derive_ehcid(main_index, root_key, doc_type, doc_number)
        self.log.call("derive_ehcid", {"doc_type": doc_type, "doc_number": doc_number}, {"ehcid": result})
        return result

    def seal_validity(self, protect_key: bytes, when: dt.datetime) -> str:
        result = self._qr.seal_validity(protect_key, when)
        self.log.call("seal_validity", {"when": when.strftime("%Y%m%d%H%M%S")}, {"v": result})
        return result


def make(spec: str, run: Any) -> Any:
    if spec == "reference":
        return ReferenceCodec(run)
    if spec.startswith("mutant:"):
        from ..mutants import mutant_objects

        name = spec[len("mutant:") :]
        mutants = mutant_objects("codec")
        if name not in mutants:
            raise EhcError(ADAPTER_UNKNOWN, f"no codec mutant {name!r}; known: {', '.join(sorted(mutants))}")
        return mutants[name](run)
    raise EhcError(
        ADAPTER_UNKNOWN, f"codec adapter {spec!r}: use reference, mutant:NAME or module:pkg.mod:factory"
    )
