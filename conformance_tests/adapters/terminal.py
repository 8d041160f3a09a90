"""Adapter of the ``terminal`` role: a terminal driven through ``ehc-terminal-driver/2``.

The kit plays every side around the terminal and gathers its own evidence:

* lower tester — QR images, ID and social-security reader records, and the **cards**: the user
  card and the PSAM are emulated in the kit's process and reached by the terminal through a slot
  the kit owns (``cardhost.CardHost``: the kit-hosted card socket by default, or the readers of a
  private pcscd with ``cards=pcsc``). Every APDU the card and the PSAM received is recorded by the
  kit (the card-side transcript); faults are applied on the kit side.
* upper tester — a reference node the terminal calls through the kit's recording proxy, so the
  suite knows what the node *received* (method, request, outcome), never what the driver says.

The vendor's driver only translates requests into actions on the terminal and says what the
terminal showed (docs/certification.md, "Terminal driver protocol"). ``reference`` runs the kit's
own driver; ``--driver "CMD ARGS;cards=pcsc"`` selects the PC/SC card channel.
"""

from __future__ import annotations

import base64
import itertools
import json
import queue
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from ehc.errors import EhcError
from ehc.gm import sm3

from ..cardhost import MODES, CardHost
from ..errors import ADAPTER_UNKNOWN, DRIVER_PROTOCOL
from ..faultproxy import _SKIP_METADATA, FaultProxy
from ..proxycore import _take
from .card import TEST_PERSON
from .node import start_reference

PROTOCOL = "ehc-terminal-driver/2"
REFERENCE_DRIVER = [sys.executable, "-m", "conformance_tests.drivers.reference_terminal"]
ANSWER_TIMEOUT_S = 120  # longest a driver may take to answer one request (a card read, node calls)


@dataclass(frozen=True)
class Received:
    """One call the node received from the terminal (through the kit's proxy)."""

    method: str  # short name: VerifyQr, Resolve, Report, GetQrCode...
    request: Any  # the decoded request message (or the raw bytes for an unknown method)
    outcome: str  # "OK" or the gRPC status name
    at: float


def _request_class(full_method: str) -> Any:
    """The request message class of ``/pkg.Service/Method`` from the generated descriptors."""
    from google.protobuf import descriptor_pool, message_factory

    import reference_node.proto.ehc.node.v1 as v1  # noqa: F401 - registers the descriptors
    from reference_node.proto.ehc.node.v1 import (  # noqa: F401
        issuance_pb2,
        main_index_pb2,
        usage_pb2,
        verification_pb2,
    )

    service, _, method = full_method.strip("/").rpartition("/")
    try:
        desc = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(method)
    except KeyError:
        return None
    return message_factory.GetMessageClass(desc.input_type) if desc is not None else None


class NodeRecorder(FaultProxy):
    """The terminal's way to the node: forwards every call and records what the node received."""

    def __init__(self, upstream: str, log: Any) -> None:
        self.received: list[Received] = []
        self._log = log
        self._rlock = threading.Lock()
        super().__init__(upstream)

    def forward(self, method: str, request: bytes, context: Any) -> bytes:
        import grpc

        from reference_node.client import trailers_of

        cls = _request_class(method)
        decoded: Any = request
        if cls is not None:
            try:
                decoded = cls.FromString(request)
            except Exception:  # noqa: BLE001 - a malformed request is recorded as bytes
                decoded = request
        short = method.rsplit("/", 1)[-1]
        with self._lock:  # fail_next (TERM-006): the node is unreachable for this call
            unreachable = _take(self._fail, short)
        if unreachable:
            self._record(short, decoded, "UNAVAILABLE")
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected by the conformance kit: node unreachable")
        metadata = tuple((k, v) for k, v in context.invocation_metadata() if k not in _SKIP_METADATA)
        call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self.upstream.unary_unary(
            method, request_serializer=None, response_deserializer=None
        )
        try:
            response, outcome = call.with_call(request, metadata=metadata, timeout=30)
        except grpc.RpcError as exc:
            self._record(short, decoded, exc.code().name)
            context.set_trailing_metadata(trailers_of(exc))
            context.abort(exc.code(), exc.details() or "")
        self._record(short, decoded, "OK")
        context.set_trailing_metadata(outcome.trailing_metadata() or ())
        return response

    def _record(self, method: str, decoded: Any, outcome: str) -> None:
        # Recorded before the terminal gets the answer: a check right after the driver's answer
        # sees every call the presentation caused.
        with self._rlock:
            self.received.append(Received(method, decoded, outcome, time.monotonic()))
        self._log.call(f"node received {method}", _dump(decoded), {"outcome": outcome})


def _dump(message: Any) -> Any:
    if isinstance(message, bytes):
        return f"<{len(message)} bytes>"
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message, preserving_proto_field_name=True)


def _shortened(value: Any) -> Any:
    """Images (``*_b64``, in requests and answers) logged by size only: they bloat the report, and
    a code image carries the EHCID where the report's masking cannot see it."""
    if isinstance(value, dict):
        return {
            k: (f"<{len(v)} chars>" if k.endswith("_b64") and isinstance(v, str) else _shortened(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    return value


def parse_spec(spec: str) -> tuple[list[str], str]:
    """``CMD ARGS;cards=socket|pcsc`` -> (command, card channel)."""
    command_text, _, options = spec.removeprefix("driver:").partition(";")
    cards = "socket"
    for option in filter(None, (o.strip() for o in options.split(";"))):
        key, _, value = option.partition("=")
        if key != "cards" or value not in MODES:
            raise EhcError(
                ADAPTER_UNKNOWN, f"terminal driver option {option!r}: use cards=socket or cards=pcsc"
            )
        cards = value
    if command_text.strip() == "reference":
        return list(REFERENCE_DRIVER), cards
    return shlex.split(command_text), cards


def check_hello(hello: dict[str, Any]) -> None:
    """Refuse a driver that does not speak protocol 2 (a v1 driver expects card images)."""
    protocol = str(hello.get("driver", {}).get("protocol", ""))
    if protocol != PROTOCOL:
        raise EhcError(
            DRIVER_PROTOCOL,
            f"driver speaks {protocol or 'no protocol'!r}; this kit needs {PROTOCOL!r}: cards are hosted "
            "by the kit and insert_card gives a card socket or reader, not card images "
            "(docs/certification.md, 'Migrating a v1 driver')",
        )


class DriverTerminal:
    mutant: Any = None  # the terminal mutant the driver runs (selftest), else None

    def __init__(self, run: Any, command: list[str], cards: str = "socket") -> None:
        from card_emulators.personalise import CardKeys, new_psam
        from ehc.gm import SM2PrivateKey, random_bytes

        self.log = run.holder
        self.run = run
        self.command = command
        self.cards = cards
        self._ids = itertools.count(1)
        self.proc: Any = None
        self.proxy: NodeRecorder | None = None
        self.host: CardHost | None = None
        self.node = start_reference(run)  # the upper tester
        try:
            self.proxy = NodeRecorder(self.node.target, self.log)
            self._t0 = time.monotonic()
            self.host = CardHost(cards, self._card_event)
            # Run-specific material, random and never written out (the report shows the key check
            # value only): a terminal with the kit's published TEST-ONLY keys built in cannot make a
            # cryptogram these cards accept, only the PSAM it is given can (TERM-003, CARD-AUTH-007).
            self.keys = CardKeys.generate("terminal run")
            self.issuer = SM2PrivateKey.generate()  # the issuer the terminal is told to trust
            self.other_issuer = SM2PrivateKey.generate()  # one it is not told to trust
            self.psam_pin = f"{int.from_bytes(random_bytes(4), 'big') % 10**6:06d}"
            self.psam = new_psam(self.keys, pin=self.psam_pin)
            self.host.insert("psam", self.psam)  # the PSAM lives in the terminal for the whole run
            self.card_side: list[Any] = []
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                env=self.host.client_env(),
            )
            self._lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=self._read_answers, name="terminal-driver-out", daemon=True).start()
            self.hello = self.request("hello")
            check_hello(self.hello)
            self.credentials = self.node.terminal.credentials
            self.context = {"department": "5500"}
            self.request(
                "configure",
                node=self.proxy.target,
                credentials=self.credentials.to_dict(),
                context=self.context,
                issuer_public_key_hex=self.issuer.public_key.hex(),
                psam_pin=self.psam_pin,
            )
        except BaseException:
            self.close()
            raise

    def info(self) -> dict[str, Any]:
        out = {
            "adapter": "terminal:driver",
            "command": " ".join(self.command[-2:]),
            "cards": self.cards,
            "driver": json.dumps(self.hello.get("driver", {}), ensure_ascii=False),
            # which key set this run's cards and PSAM carry, never the keys themselves
            "card_keys": f"run-specific, random (key check value {self.keys.check_value()})",
        }
        mutant = getattr(self, "mutant", None)
        if mutant is not None:  # a self-test mutant: say which corner it cuts
            out.update(adapter=f"terminal:mutant:{mutant.mutant_name}", mutant=mutant.description)
        return out

    # ------------------------------------------------------------------ protocol
    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        if self.proc.poll() is not None:
            raise EhcError(DRIVER_PROTOCOL, f"driver exited with {self.proc.returncode}")
        message = {"id": next(self._ids), "op": op, **fields}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise EhcError(DRIVER_PROTOCOL, f"driver closed stdin before {op}") from None
        try:
            line = self._lines.get(timeout=ANSWER_TIMEOUT_S)
        except queue.Empty:
            # A hung driver must not hang the run: stop it, every later request fails at once.
            self.proc.kill()
            raise EhcError(
                DRIVER_PROTOCOL, f"driver did not answer {op} within {ANSWER_TIMEOUT_S} s"
            ) from None
        if not line:
            raise EhcError(DRIVER_PROTOCOL, f"driver closed stdout during {op}")
        try:
            answer = json.loads(line)
        except ValueError:
            raise EhcError(DRIVER_PROTOCOL, f"driver answered {op} with non-JSON") from None
        if not isinstance(answer, dict) or answer.get("id") != message["id"]:
            got = answer.get("id") if isinstance(answer, dict) else None
            raise EhcError(DRIVER_PROTOCOL, f"answer id {got} for request {message['id']}")
        logged = {k: v for k, v in fields.items() if k != "credentials"}
        self.log.call(f"driver.{op}", _shortened(logged), _shortened(answer))
        return answer

    def _read_answers(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    # ------------------------------------------------------------------ upper tester: what the node got
    def mark(self) -> int:
        """A position in the node's record; ``received(since=mark)`` gives what came after it."""
        assert self.proxy is not None
        return len(self.proxy.received)

    def received(self, since: int = 0, method: str | None = None) -> list[Received]:
        assert self.proxy is not None
        calls = self.proxy.received[since:]
        return [c for c in calls if method is None or c.method == method]

    # ------------------------------------------------------------------ lower tester: media
    def present_qr_png(self, png: bytes, description: str, scene: str | None = None) -> dict[str, Any]:
        self.log.image(description, sm3(png).hex(), len(png))
        return self.request("present_qr", image_png_b64=base64.b64encode(png).decode("ascii"), scene=scene)

    def present_qr_text(self, text: str, scene: str | None = None, **render: Any) -> dict[str, Any]:
        from qr_codec.image import render_png

        png = render_png(text, **render)
        return self.present_qr_png(png, f"QR {render or 'default'} of {text[:70]}", scene)

    def make_card(
        self,
        person: Any,
        tamper_signature: bool = False,
        issuer: Any = None,
        keys: Any = None,
    ) -> Any:
        """A user card kept in the kit: ``issuer`` another SM2 issuer key, ``keys`` other card keys
        than the PSAM's (a counterfeit), ``tamper_signature`` one certificate byte flipped."""
        from card_emulators.personalise import personalise_user_card

        card = personalise_user_card(person, keys or self.keys, issuer or self.issuer)
        if tamper_signature:
            from card_emulators.personalities.health_layout import RECORD_FILES

            item = next(i for i in RECORD_FILES[(0xDDF1, 0xEF05)] if i.tag == 5)
            raw = bytearray(card.item_raw(0xDDF1, 0xEF05, 5))
            raw[10] ^= 0xFF  # inside the signed header: the signature no longer verifies
            card.put_item(0xDDF1, 0xEF05, item, bytes(raw))
        return card

    def insert_card(self, card: Any, scene: str | None = None, faults: list | None = None) -> dict[str, Any]:
        """Put ``card`` in the kit's card slot, ask the terminal to read it, take it out again.
        ``self.card_side`` is then what the card and the PSAM received during this insertion."""
        assert self.host is not None
        for fault in faults or []:
            if fault["kind"] == "remove":
                card.faults.remove_card(after=int(fault.get("after", 0)), ins=fault.get("ins"))
            elif fault["kind"] == "force_sw":
                card.faults.force_sw(int(fault["sw"], 16), ins=fault.get("ins"))
        self.card_side = []
        self._t0 = time.monotonic()
        self.host.insert("card", card)
        try:
            return self.request(
                "insert_card",
                card=self.host.location("card"),
                psam=self.host.location("psam"),
                scene=scene,
            )
        finally:
            self.host.eject("card")
            card.faults.clear()

    def _card_event(self, event: Any) -> None:
        if hasattr(self, "card_side"):
            self.card_side.append(event)
        note = f"card side: {event.slot} +{(event.at - self._t0) * 1000:.1f} ms"
        if event.kind == "apdu":
            self.log.apdu(event.command, event.response, note=note)
        else:
            self.log.note(f"{note}: {event.kind}")

    def close(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.request("bye")
                self.proc.wait(5)
        except Exception:  # noqa: BLE001 - a broken driver is killed below
            pass
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if self.host is not None:
            self.host.close()
        if self.proxy is not None:
            self.proxy.close()
        self.node.close()


def person_for(id_number: str) -> Any:
    from ehc.spec.model import Person

    fields = {
        **TEST_PERSON,
        "person_id": f"T-{id_number[-6:]}",
        "area_code": id_number[:6],
        "sex": "1" if int(id_number[16]) % 2 else "2",  # GB 11643: odd sequence = male
        "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
    }
    return Person(**fields, id_number=id_number)


def make(spec: str, run: Any) -> Any:
    if spec.startswith("mutant:"):
        from ..mutants.terminal import make_mutant

        return make_mutant(spec[len("mutant:") :], run)
    command, cards = parse_spec(spec)
    if not command:
        raise EhcError(
            ADAPTER_UNKNOWN, f"terminal adapter {spec!r}: use reference, a driver command or mutant:NAME"
        )
    return DriverTerminal(run, command, cards)


def check_driver(spec: str) -> str | None:
    """Before any test: a one-line reason why the driver cannot be certified (wrong protocol), or None."""
    if spec.startswith("mutant:"):
        return None
    try:
        command, _ = parse_spec(spec)
    except EhcError as exc:
        return f"{exc.code.name}: {exc.message}"
    try:
        proc = subprocess.run(
            command,
            input=json.dumps({"id": 1, "op": "hello"}) + "\n" + json.dumps({"id": 2, "op": "bye"}) + "\n",
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{DRIVER_PROTOCOL.name}: driver did not start or answer hello: {exc}"
    try:
        hello = json.loads(proc.stdout.splitlines()[0])
        check_hello(hello)
    except (ValueError, IndexError):
        return f"{DRIVER_PROTOCOL.name}: driver did not answer hello with one JSON line"
    except EhcError as exc:
        return f"{exc.code.name}: {exc.message}"
    return None
