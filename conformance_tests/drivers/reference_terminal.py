"""The kit's reference terminal as a JSON-lines driver (``python -m conformance_tests.drivers.reference_terminal``).

Speaks the terminal driver protocol of docs/certification.md on stdin/stdout: one JSON request
per line in, one JSON answer per line out. It reads media with ``card_emulators.readers`` and calls
the node it was configured with (``ehc.node.v1``, signed calls). Identifiers in its stderr log
are masked.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sys
import uuid
from typing import Any

from ehc.errors import EhcError
from ehc.spec.identifiers import mask_id

PROTOCOL = "ehc-terminal-driver/1"
# Self-test only: EHC_TERMINAL_MUTANT=<name> makes this driver a deliberately broken terminal.
MUTANT = os.environ.get("EHC_TERMINAL_MUTANT", "")


def _to_dict(message: Any) -> Any:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message, preserving_proto_field_name=True)


class Terminal:
    def __init__(self) -> None:
        self.client: Any = None
        self.context: dict[str, str] = {}
        self.issuer_key: Any = None
        self.psam_pin = "123456"
        self.sent: list[dict[str, Any]] = []
        self.read: dict[str, Any] | None = None

    # ------------------------------------------------------------------ protocol ops
    def hello(self, _req: dict) -> dict:
        return {
            "driver": {
                "name": "ehc reference terminal",
                "protocol": PROTOCOL,
                "media": [
                    "ehc-qr-static",
                    "ehc-qr-dynamic",
                    "opaque-token",
                    "resident-card",
                    "id-card",
                    "ssc",
                ],
            }
        }

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

    def _ctx(self, scene: str | None) -> Any:
        ctx = self.client.context(**self.context)
        if scene:
            ctx.scene = scene
            ctx.medical_step = scene[:6]
        return ctx

    def _call(self, stub: Any, method: str, request: Any) -> tuple[Any, dict | None]:
        import grpc

        from reference_node.client import error_of

        self.sent.append({"method": method, "request": _to_dict(request)})
        try:
            return getattr(stub, method)(request, timeout=30), None
        except grpc.RpcError as exc:
            err = error_of(exc)
            return None, {"code": err.code.name, "message": err.message}

    def _report_usage(self, scene: str | None, card_type: str, **ids: str) -> None:
        if not scene or MUTANT == "no-usage":
            return
        from reference_node.proto.ehc.node.v1 import usage_pb2

        ctx = self._ctx(scene)
        record = usage_pb2.UsageRecord(
            request_id=str(uuid.uuid4()),
            time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
            org_code=ctx.org_code,
            org_name=ctx.org_name,
            use_city=ctx.use_city,
            scene=scene,
            medical_step=scene[:6],
            department=ctx.department or "5500",
            card_type=card_type,
            channel=ctx.channel,
            payment_category="0100",
            visit_type="O",
            terminal_id=ctx.terminal_id,
            **ids,
        )
        self._call(self.client.usage, "Report", record)

    def _answer(self, response: Any, error: dict | None) -> dict:
        if error is not None and MUTANT == "local-fallback":
            return {
                "result": {"person": {"main_index": "", "name": "(from the card)", "document_number": ""}}
            }
        if error is not None:
            return {"result": {"error": error}}
        person = response.person
        return {
            "result": {
                "person": {
                    "main_index": person.main_index,
                    "name": person.name,
                    "document_number": mask_id(person.document_number),
                }
            }
        }

    def present_qr(self, req: dict) -> dict:
        from card_emulators.readers.qr_scanner import scan_image
        from qr_codec.text import classify
        from reference_node.proto.ehc.node.v1 import verification_pb2

        self.sent = []  # last_exchange reports the latest presentation only
        image = base64.b64decode(req["image_png_b64"])
        try:
            medium = scan_image(image)
            text = medium.identifier
            classify(text)  # a national code, or an opaque token within the limit
        except EhcError as exc:
            self.read = {"medium": "qr", "error": exc.code.name}
            return {"read": self.read, "result": {"error": {"code": exc.code.name, "message": exc.message}}}
        self.read = {"medium": "qr", "text": text}
        if MUTANT == "alters-text":
            text = text + "\r\n"
        response, error = self._call(
            self.client.verification,
            "VerifyQr",
            verification_pb2.VerifyQrRequest(qr_text=text, context=self._ctx(req.get("scene"))),
        )
        if error is None:
            self._report_usage(req.get("scene"), "11", ehcid=response.card.ehcid)
        return {"read": self.read, **self._answer(response, error)}

    def insert_card(self, req: dict) -> dict:
        from card_emulators.personalise import load_card
        from card_emulators.readers.chipcard import ChipCardReader, ReaderConfig
        from reference_node.proto.ehc.node.v1 import main_index_pb2

        self.sent = []
        card, psam = load_card(req["card_image"]), load_card(req["psam_image"])
        for fault in req.get("faults", []):
            if fault["kind"] == "remove":
                card.faults.remove_card(after=int(fault.get("after", 0)), ins=fault.get("ins"))
            elif fault["kind"] == "force_sw":
                card.faults.force_sw(int(fault["sw"], 16), ins=fault.get("ins"))
        card.powerUp()
        psam.powerUp()
        config = ReaderConfig(
            issuer_public_key=self.issuer_key,
            psam_pin=self.psam_pin,
            require_signature=MUTANT != "ignores-signature",
        )
        try:
            chip = ChipCardReader(card.transmit, psam.transmit, card.getATR(), config).read()
        except Exception as exc:  # noqa: BLE001 - any read failure is reported, never a person
            code = exc.code.name if isinstance(exc, EhcError) else type(exc).__name__
            self.read = {"medium": "resident-card", "error": code}
            return {"read": self.read, "result": {"error": {"code": code, "message": str(exc)[:200]}}}
        id_number = str(chip.holder.get("id_number") or chip.card_number)
        self.read = {
            "medium": "resident-card",
            "card_number": mask_id(chip.card_number),
            "signature_valid": chip.signature_valid,
            "apdus": [
                [c.hex().upper()[:10], r[-2:].hex().upper()]
                for c, r in (
                    (getattr(x, "command", b""), getattr(x, "response", b"")) for x in chip.transcript
                )
            ],
        }
        response, error = self._call(
            self.client.main_index,
            "Resolve",
            main_index_pb2.ResolveRequest(
                medium=main_index_pb2.MEDIUM_CITIZEN_ID,
                identifier=id_number,
                context=self._ctx(req.get("scene")),
            ),
        )
        if error is None:
            self._report_usage(req.get("scene"), "10", card_number=id_number, atr=chip.atr.hex().upper())
        return {"read": self.read, **self._answer(response, error)}

    def _resolve_document(self, medium_read: Any, medium_enum: int, req: dict, card_type: str) -> dict:
        from reference_node.proto.ehc.node.v1 import main_index_pb2

        self.sent = []
        self.read = {"medium": medium_read.medium, "identifier": mask_id(medium_read.identifier)}
        response, error = self._call(
            self.client.main_index,
            "Resolve",
            main_index_pb2.ResolveRequest(
                medium=medium_enum, identifier=medium_read.identifier, context=self._ctx(req.get("scene"))
            ),
        )
        if error is None:
            self._report_usage(req.get("scene"), card_type, card_number=medium_read.identifier)
        return {"read": self.read, **self._answer(response, error)}

    def present_id_card(self, req: dict) -> dict:
        from card_emulators.readers.idcard import read_id_card
        from reference_node.proto.ehc.node.v1 import main_index_pb2

        self.sent, self.read = [], None
        return self._resolve_document(
            read_id_card(req["record"]), main_index_pb2.MEDIUM_CITIZEN_ID, req, "20"
        )

    def present_ssc(self, req: dict) -> dict:
        from card_emulators.readers.sscard import read_ssc
        from reference_node.proto.ehc.node.v1 import main_index_pb2

        self.sent, self.read = [], None
        return self._resolve_document(
            read_ssc(req["record"]), main_index_pb2.MEDIUM_SOCIAL_SECURITY_CARD, req, "30"
        )

    def last_exchange(self, _req: dict) -> dict:
        out = {"read": self.read, "sent": self.sent}
        self.sent = []
        return out


def main() -> None:
    terminal = Terminal()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            op = req.get("op", "")
            if op == "bye":
                print(json.dumps({"id": req.get("id"), "ok": True}), flush=True)
                return
            handler = getattr(terminal, op, None) if not op.startswith("_") else None
            if handler is None:
                answer = {"ok": False, "error": {"code": "UNKNOWN_OP", "message": op}}
            else:
                answer = {"ok": True, **handler(req)}
        except Exception as exc:  # noqa: BLE001 - the driver answers every request
            answer = {"ok": False, "error": {"code": type(exc).__name__, "message": str(exc)[:300]}}
        answer["id"] = req.get("id") if isinstance(req, dict) else None
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
