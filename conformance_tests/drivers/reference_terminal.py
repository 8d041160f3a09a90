"""The kit's reference terminal as a JSON-lines driver (``python -m conformance_tests.drivers.reference_terminal``).

Speaks ``ehc-terminal-driver/2`` (docs/certification.md) on stdin/stdout: one JSON request per line
in, one JSON answer per line out. It reads media with ``card_emulators.readers`` and calls the node
it was configured with (``ehc.node.v1``, signed calls). Cards are not handed to it: ``insert_card``
says where the kit hosts the user card and the PSAM (a card socket address or a PC/SC reader name),
and the terminal talks to them there, as a real terminal talks to its card slots.

The class is built from small steps (read the chip, verify a code, report the use, answer a
refusal) so the self-test's vendor mutants (conformance_tests/mutants/terminal/) can each replace
one step the way a careless or dishonest vendor would. Identifiers in its answers are masked.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
import uuid
from typing import Any

from ehc.errors import EhcError
from ehc.spec.identifiers import mask_id

PROTOCOL = "ehc-terminal-driver/2"
MEDIA = ["ehc-qr-static", "ehc-qr-dynamic", "opaque-token", "resident-card", "id-card", "ssc"]
#: usage-report card type per medium (ehc.spec.codes.CARD_MEDIA)
CARD_TYPE = {"qr": "11", "resident-card": "10", "id-card": "20", "ssc": "30"}
KIOSK_MODE = "2"  # application mode of a self-service kiosk (ehc.spec.codes.APPLICATION_MODES)


def _to_dict(message: Any) -> Any:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message, preserving_proto_field_name=True)


class Refused(Exception):
    """A presentation the terminal refuses (local check or node refusal): ``error`` is shown."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = {"code": code, "message": message[:200]}


def open_slot(location: dict[str, str]) -> tuple[Any, bytes]:
    """(transmit channel, ATR) of a kit-hosted slot: a card socket or a PC/SC reader."""
    if location.get("transport") == "socket":
        from card_emulators.transports.card_socket import SocketCardTransport

        transport = SocketCardTransport(location["address"])
        return transport, transport.reset()
    if location.get("transport") == "pcsc":
        from card_emulators.transports.pcsc import PcscTransport

        reader = PcscTransport(location["reader"])
        return reader, reader.atr
    raise Refused("BAD_SLOT", f"unknown card transport {location.get('transport')!r}")


class Terminal:
    name = "ehc reference terminal"
    protocol = PROTOCOL

    def __init__(self) -> None:
        self.client: Any = None
        self.context: dict[str, str] = {}
        self.issuer_key: Any = None
        self.psam_pin = "123456"
        self.read: dict[str, Any] | None = None
        self.scene: str | None = None  # of the presentation in progress
        self._last_card_key = ""  # identifier of the presentation in progress (card/document number)

    # ------------------------------------------------------------------ protocol ops
    def hello(self, _req: dict) -> dict:
        return {"driver": {"name": self.name, "protocol": self.protocol, "media": list(MEDIA)}}

    def configure(self, req: dict) -> dict:
        from ehc.gm import SM2PublicKey
        from reference_node.client import Credentials, NodeClient

        creds = Credentials.from_dict(req["credentials"])
        self.client = NodeClient(req["node"], creds)
        self.context = dict(req.get("context", {}))
        if req.get("issuer_public_key_hex"):
            self.issuer_key = SM2PublicKey.from_hex(req["issuer_public_key_hex"])
        self.psam_pin = str(req.get("psam_pin", self.psam_pin))
        return {}

    def present_qr(self, req: dict) -> dict:
        from card_emulators.readers.qr_scanner import scan_image

        scene = self.scene = req.get("scene")
        text = ""
        try:
            text = scan_image(base64.b64decode(req["image_png_b64"])).identifier
            self.read = {"medium": "qr", "text": text}
            self.check_text(text)
            response = self.verify_qr(text, scene)
        except Refused as refused:
            return self._refusal(("qr", text), refused)
        except EhcError as exc:
            self.read = {"medium": "qr", "error": exc.code.name}
            return {"read": self.read, "result": {"error": {"code": exc.code.name, "message": exc.message}}}
        self.report_usage(scene, "qr", ehcid=response.card.ehcid)
        return self._accepted(("qr", text), response)

    def insert_card(self, req: dict) -> dict:
        scene = self.scene = req.get("scene")
        card = psam = None
        self._last_card_key = ""
        try:
            card, atr = open_slot(req["card"])
            psam, _ = open_slot(req["psam"])
            chip = self.read_chip(card, psam, atr)
            id_number = str(chip.holder.get("id_number") or chip.card_number)
            self.read = {
                "medium": "resident-card",
                "card_number": mask_id(chip.card_number),
                "signature_valid": chip.signature_valid,
            }
            response = self.resolve("resident-card", id_number, scene)
        except Refused as refused:
            return self._refusal(("resident-card", self._last_card_key), refused)
        except Exception as exc:  # noqa: BLE001 - any read failure is reported, never a person
            code = exc.code.name if isinstance(exc, EhcError) else type(exc).__name__
            self.read = {"medium": "resident-card", "error": code}
            return {"read": self.read, "result": {"error": {"code": code, "message": str(exc)[:200]}}}
        finally:
            for transport in (card, psam):
                if transport is not None:
                    transport.close()
        self.report_usage(scene, "resident-card", card_number=id_number, atr=chip.atr.hex().upper())
        return self._accepted(("resident-card", id_number), response)

    def present_id_card(self, req: dict) -> dict:
        from card_emulators.readers.idcard import read_id_card

        return self._document(lambda: read_id_card(req["record"]), "id-card", req)

    def present_ssc(self, req: dict) -> dict:
        from card_emulators.readers.sscard import read_ssc

        return self._document(lambda: read_ssc(req["record"]), "ssc", req)

    def apply_with_id_card(self, req: dict) -> dict:
        """Self-service kiosk (seed 002 §二(三)): apply for the resident health card with the ID card.

        The identity comes from the ID-card reader (the chip), never from the screen: of what the
        applicant typed (``form``) only the contact phone is used, which the card does not hold."""
        from card_emulators.readers.idcard import read_id_card

        self.scene = None
        try:
            medium_read = read_id_card(req["record"])
            self.read = {"medium": medium_read.medium, "identifier": mask_id(medium_read.identifier)}
            response = self.register_applicant(medium_read.raw, dict(req.get("form") or {}))
        except Refused as refused:
            return {"read": self.read, "result": {"error": refused.error}}
        except EhcError as exc:
            return {"read": None, "result": {"error": {"code": exc.code.name, "message": exc.message}}}
        return {"read": self.read, "result": {"issued": self.issued_of(response)}}

    # ------------------------------------------------------------------ steps (mutants replace one)
    def check_text(self, text: str) -> None:
        """Local check before anything is sent: a national code, or an opaque token within the limit."""
        from qr_codec.text import classify

        try:
            classify(text)
        except EhcError as exc:
            raise Refused(exc.code.name, exc.message) from None

    def verify_qr(self, text: str, scene: str | None) -> Any:
        from reference_node.proto.ehc.node.v1 import verification_pb2

        return self.call(
            self.client.verification,
            "VerifyQr",
            verification_pb2.VerifyQrRequest(qr_text=text, context=self.ctx(scene)),
        )

    def reader_config(self) -> Any:
        from card_emulators.readers.chipcard import ReaderConfig

        return ReaderConfig(issuer_public_key=self.issuer_key, psam_pin=self.psam_pin, require_signature=True)

    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        """PSAM external authentication, then EF06; the issuer signature checked (ChipCardReader)."""
        from card_emulators.readers.chipcard import ChipCardReader

        return ChipCardReader(card.transmit, psam.transmit, atr, self.reader_config()).read()

    def resolve(self, medium: str, identifier: str, scene: str | None) -> Any:
        from reference_node.proto.ehc.node.v1 import main_index_pb2

        self._last_card_key = identifier
        enum = {
            "resident-card": main_index_pb2.MEDIUM_CITIZEN_ID,  # 卡号 = the holder's ID number
            "id-card": main_index_pb2.MEDIUM_CITIZEN_ID,
            "ssc": main_index_pb2.MEDIUM_SOCIAL_SECURITY_CARD,
        }[medium]
        return self.call(
            self.client.main_index,
            "Resolve",
            main_index_pb2.ResolveRequest(medium=enum, identifier=identifier, context=self.ctx(scene)),
        )

    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        """One usage report per accepted presentation, with the card type of the medium."""
        if not scene:
            return
        from reference_node.proto.ehc.node.v1 import usage_pb2

        ctx = self.ctx(scene)
        record = usage_pb2.UsageRecord(
            request_id=str(uuid.uuid4()),
            time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
            org_code=ctx.org_code,
            org_name=ctx.org_name,
            use_city=ctx.use_city,
            scene=scene,
            medical_step=scene[:6],
            department=ctx.department or "5500",
            card_type=CARD_TYPE[medium],
            channel=ctx.channel,
            payment_category="0100",
            visit_type="O",
            terminal_id=ctx.terminal_id,
            **ids,
        )
        try:
            self.call(self.client.usage, "Report", record)
        except Refused:
            pass  # the person is still shown; a lost report is the node's business to flag

    def register_applicant(self, chip: dict[str, str], form: dict[str, str]) -> Any:
        """Register at the node: the chip's data, application mode 2 (kiosk), the terminal's context."""
        from reference_node.proto.ehc.node.v1 import issuance_pb2

        number = chip["id_number"]
        birth = chip["birth_date"]
        request = issuance_pb2.RegisterRequest(
            application_mode=KIOSK_MODE,
            name=chip["name"],
            document_type="01",  # 居民身份证
            document_number=number,
            sex=chip["sex"],
            nation=chip["nation"],
            birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
            address=chip["address"],
            # residence: the ID number's GB 11643 address code (the card's address is free text)
            area_code=number[:6],
            phone=str(form.get("phone", "")),
            request_id=str(uuid.uuid4()),
            context=self.ctx(None),
        )
        return self.call(self.client.issuance, "Register", request)

    def issued_of(self, response: Any) -> dict[str, Any]:
        """What the kiosk shows: the card's EHCID and its static code, as text and as the image."""
        from qr_codec.image import render_png

        return {
            "main_index": response.person.main_index,
            "ehcid": response.card.ehcid,
            "qr_text": response.qr_text,
            "qr_png_b64": base64.b64encode(render_png(response.qr_text)).decode("ascii"),
            "card_created": response.card_created,
        }

    def on_refusal(self, key: tuple[str, str], refused: Refused) -> dict | None:
        """A person to show anyway when the presentation is refused: never, for a conformant terminal."""
        return None

    # ------------------------------------------------------------------ plumbing
    def ctx(self, scene: str | None) -> Any:
        ctx = self.client.context(**self.context)
        if scene:
            ctx.scene = scene
            ctx.medical_step = scene[:6]
        return ctx

    def call(self, stub: Any, method: str, request: Any) -> Any:
        """The node's answer; a refusal (any gRPC error) raises Refused with the node's code."""
        import grpc

        from reference_node.client import error_of

        try:
            return getattr(stub, method)(request, timeout=30)
        except grpc.RpcError as exc:
            err = error_of(exc)
            raise Refused(err.code.name, err.message) from None

    def _document(self, read: Any, medium: str, req: dict) -> dict:
        scene = self.scene = req.get("scene")
        self._last_card_key = ""
        try:
            medium_read = read()
            self.read = {"medium": medium_read.medium, "identifier": mask_id(medium_read.identifier)}
            response = self.resolve(medium, medium_read.identifier, scene)
        except Refused as refused:
            return self._refusal((medium, self._last_card_key), refused)
        except EhcError as exc:
            return {"read": None, "result": {"error": {"code": exc.code.name, "message": exc.message}}}
        self.report_usage(scene, medium, card_number=medium_read.identifier)
        return self._accepted((medium, medium_read.identifier), response)

    def _accepted(self, key: tuple[str, str], response: Any) -> dict:
        return {"read": self.read, "result": {"person": self.person_of(response)}}

    def _refusal(self, key: tuple[str, str], refused: Refused) -> dict:
        shown = self.on_refusal(key, refused)
        if shown is not None:
            return {"read": self.read, "result": {"person": shown}}
        return {"read": self.read, "result": {"error": refused.error}}

    @staticmethod
    def person_of(response: Any) -> dict[str, str]:
        person = response.person
        return {
            "main_index": person.main_index,
            "name": person.name,
            "document_number": mask_id(person.document_number),
        }


def serve(terminal: Terminal, stdin: Any = None, stdout: Any = None) -> None:
    """The JSON-lines loop: one request per line, one answer per line, until ``bye``."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in stdin:
        line = line.strip()
        if not line:
            continue
        req: Any = None
        try:
            req = json.loads(line)
            op = req.get("op", "")
            if op == "bye":
                print(json.dumps({"id": req.get("id"), "ok": True}), file=stdout, flush=True)
                return
            handler = getattr(terminal, op, None) if op in _OPS else None
            if handler is None:
                answer = {"ok": False, "error": {"code": "UNKNOWN_OP", "message": op}}
            else:
                answer = {"ok": True, **handler(req)}
        except Exception as exc:  # noqa: BLE001 - the driver answers every request
            answer = {"ok": False, "error": {"code": type(exc).__name__, "message": str(exc)[:300]}}
        answer["id"] = req.get("id") if isinstance(req, dict) else None
        print(json.dumps(answer, ensure_ascii=False), file=stdout, flush=True)


_OPS = {
    "hello",
    "configure",
    "present_qr",
    "insert_card",
    "present_id_card",
    "present_ssc",
    "apply_with_id_card",  # optional: kiosks only (a terminal without it answers UNKNOWN_OP)
}


def main() -> None:
    serve(Terminal())


if __name__ == "__main__":
    main()
