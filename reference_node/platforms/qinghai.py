"""The node's Qinghai front door: SOAP ``RHCMessageServer(action, message)`` over the node's services.

A thin adapter: a spyne SOAP 1.1 service (WSDL at ``/qinghai/RHCMessageServer?wsdl``) hands the two
XML strings to :meth:`QinghaiFrontDoor.handle`, which checks the ``action`` (fields, credentials,
time window, msgGuid replay), parses the ``message`` of the business code (every field bounded,
sensitive fields decrypted when ``encryption`` is 1), then calls the SAME service function the gRPC
and REST doors call and answers ``<response>`` with ``result``/``desc``/``resultCode``. Every
refusal carries its own resultCode; nothing is written before every check has passed.

Identity: ``userName`` is a terminal registered with the node, ``userPwd`` is derived from that
terminal's credential secret (``qinghai_envelope.user_pwd``), ``orgId`` is the terminal's
organisation code (docs/platforms.md "Qinghai QWB 002-2017").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import io
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ehc.errors import EhcError
from ehc.spec.identifiers import ID_LOWERCASE_X
from reference_node.auth import Authenticator
from reference_node.node import Caller, Node
from reference_node.observability import log
from reference_node.platforms import over_rate, refusal_result
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import issuance_pb2, usage_pb2, verification_pb2
from reference_node.services import issuance, usage, verification

from .qinghai_envelope import (
    ACTION_FIELDS,
    BUSINESS_CODES,
    ENVELOPE_CODES,
    NAMESPACE,
    PATH,
    SENSITIVE_FIELDS,
    SERVICE_NAME,
    SUCCESS,
    XmlRefused,
    build_flat,
    check_document,
    decrypt_field,
    encrypt_field,
    field_key,
    parse_flat,
    result_code,
    soap_fault,
    user_pwd,
)
from .tencent import result_of

LOG = logging.getLogger("reference_node")
BEIJING = dt.timezone(dt.timedelta(hours=8))
#: business codes whose msgGuid is the usage record's idempotency key: a repeat is answered
IDEMPOTENT = frozenset({"RHC_E0009"})
#: decoded image limits (bytes): E0001 png ≤ 200 kB (platform), others 400 kB (6005)
IMAGE_LIMIT = {"RHC_E0001": 200 * 1024}
IMAGE_LIMIT_DEFAULT = 400 * 1024
#: action fields every call carries (orgId/appCode: exactly one; encryption: 0 when absent)
ACTION_REQUIRED = (
    "msgGuid",
    "msgType",
    "bussinessCode",
    "msgCreateTime",
    "userName",
    "userPwd",
    "stdVerCode",
)
IMAGE_FIELDS = ("id_front_img", "id_back_img", "face_img")
_PNG = b"\x89PNG\r\n\x1a\n"
_TIME19 = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_GUID = re.compile(r"[0-9A-Za-z]{32}")
_APP_CODE = re.compile(r"[0-9A-Za-z]{6}")

# kit result name (tencent.result_of) -> Qinghai business reason
_REASON_OF = {
    "CARD_UNKNOWN": "CARD_UNKNOWN", "CARD_SUSPENDED": "CARD_NOT_USABLE", "CARD_CANCELLED": "CARD_NOT_USABLE",
    "CODE_EXPIRED": "CODE_INVALID", "CODE_EXHAUSTED": "CODE_INVALID", "CODE_INVALID": "CODE_INVALID",
    "FIELD_MISSING": "FIELD_MISSING", "FIELD_TOO_LONG": "FIELD_TOO_LONG",
    "FIELD_BAD_FORMAT": "FIELD_BAD_FORMAT", "DOCUMENT_INVALID": "DOCUMENT_INVALID",
    "CONFLICT": "CONFLICT", "PERSON_UNKNOWN": "PERSON_UNKNOWN", "APP_FORBIDDEN": "FORBIDDEN",
    "IDENTITY_MISMATCH": "FORBIDDEN",
}  # fmt: skip

# message fields per business code: name -> (longest value, required)
_IMG = 600_000  # base64 of a 400 kB image and some; the decoded size is checked on its own
_REGISTER = {
    "name": (50, True), "id_type": (2, False), "id_number": (32, True), "sex": (1, False),
    "nation": (2, False), "birthday": (10, False), "cellphone": (20, False), "address": (200, False),
    "area_code": (6, False), "id_front_img": (_IMG, False), "id_back_img": (_IMG, False),
    "face_img": (_IMG, False),
}  # fmt: skip
_VERIFY = {
    "qr_code": (256, True), "time": (19, False), "sam": (20, True), "use_citycode": (10, True),
    "use_cityname": (50, False), "hospital_code": (20, False), "hospital_name": (100, False),
    "channel_code": (4, True), "channel_name": (50, False), "medstep_code": (6, True),
    "medstep_name": (50, False),
}  # fmt: skip
_FAMILY = {"guardian_ecard_id": (64, True), "member_ecard_id": (64, True), "relation": (20, False)}
MESSAGE_FIELDS: dict[str, dict[str, tuple[int, bool]]] = {
    "RHC_E0001": _REGISTER,
    "RHC_E0002": {"ecard_id": (64, True), "qrcode_type": (1, False)},
    "RHC_E0003": _VERIFY,
    "RHC_E0004": {"ecard_id": (64, True), "reason": (100, False)},
    "RHC_E0005": {"ecard_id": (64, True)},
    "RHC_E0006": _REGISTER,
    "RHC_E0007": _FAMILY,
    "RHC_E0008": _FAMILY,
    "RHC_E0009": {
        "card_no": (32, True),
        "atr": (66, True),
        "sam_no": (32, True),
        "time": (19, True),
        "use_citycode": (10, True),
        "hospital_code": (20, False),
        "hospital_name": (100, False),
        "channel_code": (4, True),
        "medstep_code": (6, True),
        "scene_code": (7, False),
        "dept_code": (4, False),
        "pay_type": (4, False),
    },  # fmt: skip
    "RHC_E0010": {"guardian_ecard_id": (64, True)},
    "RHC_E0011": {
        "ecard_id": (64, True),
        "name": (50, False),
        "cellphone": (20, False),
        "address": (200, False),
        "area_code": (6, False),
    },  # fmt: skip
    "RHC_E0012": {
        "id_type": (2, False),
        "id_number": (32, True),
        "name": (50, True),
        "sex": (1, False),
        "nation": (2, False),
        "birthday": (10, False),
        "area_code": (6, False),
        "guardian_id_type": (2, False),
        "guardian_id_number": (32, True),
        "relation": (20, False),
    },  # fmt: skip
    "RHC_E0013": _VERIFY,
}


def lowercase_x(err: EhcError) -> bool:
    """The identifier rule "the X must be upper case", raised directly or as the cause of the
    node's NODE_DOCUMENT_INVALID."""
    return err.code == ID_LOWERCASE_X or err.detail.get("cause") == ID_LOWERCASE_X.name


class Refused(Exception):
    """A refusal with its resultCode already chosen."""

    def __init__(self, code: str, desc: str) -> None:
        super().__init__(desc)
        self.code = code
        self.desc = desc


def _envelope(name: str, desc: str) -> Refused:
    return Refused(ENVELOPE_CODES[name], desc)


def _business(business: str, reason: str, desc: str) -> Refused:
    return Refused(result_code(business, reason), desc)


@dataclass
class Call:
    caller: Caller
    business: str
    action: dict[str, str]
    msg: dict[str, str]
    app_route: bool  # appCode given (an app), not orgId (an organisation's own system)


class QinghaiFrontDoor:
    """Answers one ``RHCMessageServer`` call (two XML strings in, one out); WSGI app: ``wsgi()``."""

    def __init__(self, node: Node, auth: Authenticator) -> None:
        self.node = node
        self.auth = auth
        self.handlers: dict[str, Callable[[Call], dict[str, Any]]] = {
            "RHC_E0001": self.register,
            "RHC_E0002": self.apply_qr,
            "RHC_E0003": self.verify_qr,
            "RHC_E0004": self.cancel,
            "RHC_E0005": self.get_qr,
            "RHC_E0006": self.register,
            "RHC_E0007": self.bind_family,
            "RHC_E0008": self.unbind_family,
            "RHC_E0009": self.card_usage,
            "RHC_E0010": self.family_query,
            "RHC_E0011": self.modify,
            "RHC_E0012": self.temporary_apply,
            "RHC_E0013": self.verify_qr,
        }

    # ------------------------------------------------------------------ envelope
    def handle(self, action_text: str, message_text: str) -> str:
        """Never raises: every failure is a ``<response>`` with its resultCode."""
        business = ""
        key: bytes | None = None
        try:
            action = self._action(action_text)
            business = action["bussinessCode"]
            caller, secret = self._authenticate(action)
            if action.get("encryption") == "1":
                key = field_key(secret)
            msg = self._message(message_text, business, key)
            call = Call(caller, business, action, msg, app_route=bool(action.get("appCode")))
            data = self.handlers[business](call)
            return self._out(business, SUCCESS, "success", data, key)
        except Refused as err:
            return self._out(business, err.code, err.desc, None, None)
        except EhcError as err:
            return self._out(business, self._code_of(business, err), f"{err.code.name}: {err.message}")
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller
            ref = self.node.new_id()[:12]
            log(LOG, logging.ERROR, "qinghai front door internal error", ref=ref, error=type(exc).__name__)
            return self._out(business, ENVELOPE_CODES["INTERNAL"], f"internal error, reference {ref}")

    def _code_of(self, business: str, err: EhcError) -> str:
        if lowercase_x(err):
            return result_code(business, "ID_LOWERCASE_X")
        kind = result_of(err)
        if kind == "SERVICE_UNAVAILABLE":
            return ENVELOPE_CODES["UNAVAILABLE"]
        if kind == "INTERNAL":
            return ENVELOPE_CODES["INTERNAL"]
        return result_code(business, _REASON_OF.get(kind, "REFUSED"))

    def _out(
        self,
        business: str,
        code: str,
        desc: str,
        data: dict[str, Any] | None = None,
        key: bytes | None = None,
    ) -> str:
        self.node.metrics.inc("ehc_node_platform_requests_total", platform="qinghai", result=code)
        fields: dict[str, Any] = {
            "result": "success" if code == SUCCESS else "failure",
            "desc": desc,
            "resultCode": code,
            "bussinessCode": business,
        }
        if data is not None:
            fields["data"] = self._encrypt(data, key)
        return build_flat("response", fields)

    @staticmethod
    def _encrypt(data: dict[str, Any], key: bytes | None) -> dict[str, Any]:
        if key is None:
            return data

        def one(row: dict[str, Any]) -> dict[str, Any]:
            return {
                k: encrypt_field(key, v) if k in SENSITIVE_FIELDS and isinstance(v, str) and v else v
                for k, v in row.items()
            }

        return {k: [one(r) for r in v] if isinstance(v, list) else v for k, v in one(data).items()}

    def _action(self, text: str) -> dict[str, str]:
        try:
            action = parse_flat(text, "action")
        except XmlRefused as err:
            raise _envelope("MALFORMED", f"action: {err}") from None
        for name in action:
            if name not in ACTION_FIELDS:
                raise _envelope("FIELD_BAD_FORMAT", f"action has no field {name[:40]!r}")
        for name, limit in ACTION_FIELDS.items():
            if len(action.get(name, "")) > limit:
                raise _envelope("FIELD_TOO_LONG", f"action.{name} is longer than {limit} characters")
        for name in ACTION_REQUIRED:
            if not action.get(name):
                raise _envelope("FIELD_MISSING", f"action.{name} is required")
        if action["msgType"] != "1":
            raise _envelope("FIELD_BAD_FORMAT", "action.msgType must be 1")
        if action["stdVerCode"] != "1.0":
            raise _envelope("FIELD_BAD_FORMAT", "action.stdVerCode must be 1.0")
        if action.get("encryption", "0") not in ("0", "1"):
            raise _envelope("FIELD_BAD_FORMAT", "action.encryption must be 0 or 1")
        if not _GUID.fullmatch(action["msgGuid"]):
            raise _envelope("FIELD_BAD_FORMAT", "action.msgGuid must be 32 letters or digits")
        if not _TIME19.fullmatch(action["msgCreateTime"]):
            raise _envelope("FIELD_BAD_FORMAT", "action.msgCreateTime must be yyyy-MM-dd HH:mm:ss")
        if action["bussinessCode"] not in BUSINESS_CODES:
            raise _envelope("UNKNOWN_BUSINESS", "action.bussinessCode is not RHC_E0001..RHC_E0013")
        if bool(action.get("orgId")) == bool(action.get("appCode")):
            raise _envelope("ORG_XOR_APP", "exactly one of action.orgId and action.appCode must be set")
        if action.get("appCode") and not _APP_CODE.fullmatch(action["appCode"]):
            raise _envelope("FIELD_BAD_FORMAT", "action.appCode must be 6 letters or digits")
        return action

    def _authenticate(self, action: dict[str, str]) -> tuple[Caller, bytes]:
        """Credentials, then the time window, then msgGuid (an unauthenticated call cannot spend a
        guid). E0009's guid is its usage record's idempotency key: a repeat reaches the service,
        which answers it as a duplicate."""
        cred = self.auth.credential(action["userName"])
        expected = user_pwd(cred[0]) if cred is not None else "0" * 32
        given = action["userPwd"].encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected.encode("ascii")) or cred is None:
            raise _envelope("BAD_CREDENTIALS", "userName/userPwd do not match a terminal of this node")
        secret, caller, refusal = cred
        if refusal is not None:  # the node's own rule (revoked; 检测备案), as on every other door
            raise _envelope(*refusal_result(refusal))
        if action.get("orgId") and action["orgId"] != caller.org_code:
            raise _envelope("FORBIDDEN", "action.orgId is not the terminal's organisation")
        try:
            sent = dt.datetime.strptime(action["msgCreateTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            raise _envelope("FIELD_BAD_FORMAT", "action.msgCreateTime is not a date") from None
        now = time.time()
        window = self.node.config.replay_window_s
        if abs(now - sent.timestamp()) > window:
            raise _envelope(
                "TIME_OUT_OF_WINDOW", f"msgCreateTime is more than {window} s from the node's clock (UTC+8)"
            )
        key = f"qinghai|{caller.terminal_id}|{action['msgGuid']}"
        fresh = self.auth.fresh_nonce(key, now, sent.timestamp())
        if not fresh and action["bussinessCode"] not in IDEMPOTENT:
            raise _envelope("GUID_REPLAYED", "msgGuid already used within the window")
        if over_rate(self.auth, caller, caller.terminal_id):
            raise _envelope("UNAVAILABLE", "over the terminal's call rate; retry shortly")
        return caller, secret

    def _message(self, text: str, business: str, key: bytes | None) -> dict[str, str]:
        try:
            msg = parse_flat(text, "message")
        except XmlRefused as err:
            raise _envelope("MALFORMED", f"message: {err}") from None
        spec = MESSAGE_FIELDS[business]
        for name in msg:
            if name not in spec:
                raise _business(business, "FIELD_BAD_FORMAT", f"message has no field {name[:40]!r}")
        out: dict[str, str] = {}
        for name, (limit, required) in spec.items():
            value = msg.get(name, "")
            if value and key is not None and name in SENSITIVE_FIELDS:
                try:
                    value = decrypt_field(key, value)
                except ValueError:
                    raise _envelope("DECRYPT_FAILED", f"message.{name} does not decrypt") from None
            if not value:
                if required:
                    raise _business(business, "FIELD_MISSING", f"message.{name} is required")
                continue
            if len(value) > limit:
                raise _business(business, "FIELD_TOO_LONG", f"message.{name} is longer than {limit}")
            out[name] = value
        for name in IMAGE_FIELDS:
            if name in out:
                self._image(business, name, out[name])
        return out

    def _image(self, business: str, name: str, value: str) -> None:
        try:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise _business(business, "FIELD_BAD_FORMAT", f"message.{name} is not base64") from None
        if not raw.startswith(_PNG):
            raise _business(business, "FIELD_BAD_FORMAT", f"message.{name} is not a PNG image")
        limit = IMAGE_LIMIT.get(business, IMAGE_LIMIT_DEFAULT)
        if len(raw) > limit:
            raise _business(business, "IMAGE_TOO_LARGE", f"message.{name} is over {limit // 1024} kB")

    # ------------------------------------------------------------------ helpers
    def _ctx(self, call: Call) -> c.TerminalContext:
        return c.TerminalContext(terminal_id=call.caller.terminal_id, org_code=call.caller.org_code)

    def _poc_ctx(self, call: Call, *, sam_field: str = "sam") -> c.TerminalContext:
        """The point-of-care context of E0003/E0009/E0013 (sam = organisation code + department)."""
        m = call.msg
        org = m.get("hospital_code", "")
        if org and org != call.caller.org_code:
            raise _business(call.business, "FORBIDDEN", "hospital_code is not the terminal's organisation")
        department = m.get("dept_code", "")
        sam = m.get(sam_field, "")
        if sam_field == "sam":
            if len(sam) <= 4 or not sam[-4:].isdigit() or sam[:-4] != call.caller.org_code:
                raise _business(
                    call.business,
                    "FIELD_BAD_FORMAT",
                    "sam must be the organisation code + 4-digit department",
                )
            department = sam[-4:]
        return c.TerminalContext(
            terminal_id=call.caller.terminal_id,
            org_code=call.caller.org_code,
            org_name=m.get("hospital_name", ""),
            use_city=m.get("use_citycode", ""),
            channel=m.get("channel_code", ""),
            medical_step=m.get("medstep_code", ""),
            department=department,
            time=self._time14(call, m.get("time", "")),
        )

    @staticmethod
    def _time14(call: Call, text: str) -> str:
        if not text:
            return ""
        try:
            return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").strftime("%Y%m%d%H%M%S")
        except ValueError:
            raise _business(call.business, "FIELD_BAD_FORMAT", "time must be yyyy-MM-dd HH:mm:ss") from None

    @staticmethod
    def _person(person: c.Person, card: c.Card, qr_text: str = "") -> dict[str, Any]:
        return {
            "qr_codetext": qr_text,
            "name": person.name,
            "main_index": person.main_index,
            "ecardId": card.ehcid,
            "id_type": person.document_type,
            "id_number": person.document_number,
            "id_card": person.document_number if person.document_type == "01" else "",
            "nation": person.nation,
            "sex": person.sex,
            "birthday": person.birth_date,
            "address": person.address,
            "cellphone": person.phone,
            "unit": "",
            "card_status": str(int(card.status)),
        }

    # ------------------------------------------------------------------ business codes
    def register(self, call: Call) -> dict[str, Any]:
        m = call.msg
        online = call.business == "RHC_E0001"
        if online:
            missing = [f for f in IMAGE_FIELDS if f not in m]
            if missing:
                raise _business(call.business, "FIELD_MISSING", f"message.{missing[0]} is required online")
        doc_type = m.get("id_type", "01")
        number = m["id_number"]
        done = issuance.register(
            self.node,
            call.caller,
            issuance_pb2.RegisterRequest(
                application_mode="1" if online else "3",  # online = app, on-site = window
                name=m["name"],
                document_type=doc_type,
                document_number=number,
                area_code=m.get("area_code")
                or (number[:6] if doc_type == "01" else "")
                or call.caller.area_code,
                sex=m.get("sex", ""),
                nation=m.get("nation", ""),
                birth_date=m.get("birthday", ""),
                phone=m.get("cellphone", ""),
                address=m.get("address", ""),
                request_id=call.action["msgGuid"],
                context=self._ctx(call),
            ),
        )
        return {"ecardId": done.card.ehcid, "main_index": done.person.main_index, "qr_code": done.qr_text}

    def _qr(self, call: Call, ehcid: str, code_type: c.CodeType) -> issuance_pb2.GetQrCodeResponse:
        return issuance.get_qr_code(
            self.node,
            call.caller,
            issuance_pb2.GetQrCodeRequest(ehcid=ehcid, code_type=code_type, context=self._ctx(call)),
        )

    def apply_qr(self, call: Call) -> dict[str, Any]:
        kind = call.msg.get("qrcode_type", "0")
        if kind not in ("0", "1"):
            raise _business(
                call.business, "FIELD_BAD_FORMAT", "qrcode_type must be 0 (dynamic) or 1 (static)"
            )
        code = self._qr(
            call, call.msg["ecard_id"], c.CODE_TYPE_STATIC if kind == "1" else c.CODE_TYPE_DYNAMIC
        )
        return {"qr_code": code.qr_text, "qrcode_type": kind, "valid_until": code.valid_until}

    def get_qr(self, call: Call) -> dict[str, Any]:
        from qr_codec.image import render_png

        ehcid = call.msg["ecard_id"]
        static = self._qr(call, ehcid, c.CODE_TYPE_STATIC)
        dynamic = self._qr(call, ehcid, c.CODE_TYPE_DYNAMIC)
        return {
            "qr_code": static.qr_text,
            "qr_code_img": base64.b64encode(render_png(static.qr_text)).decode("ascii"),
            "dt_qr_code": dynamic.qr_text,
            "dt_qr_code_img": base64.b64encode(render_png(dynamic.qr_text)).decode("ascii"),
            "dt_valid_until": dynamic.valid_until,
        }

    def verify_qr(self, call: Call) -> dict[str, Any]:
        text = call.msg["qr_code"]
        result = verification.verify_qr(
            self.node,
            call.caller,
            verification_pb2.VerifyQrRequest(qr_text=text, context=self._poc_ctx(call)),
        )
        out = self._person(result.person, result.card, text)
        out["is_temporary"] = "1" if result.flags.temporary else "0"
        return out

    def cancel(self, call: Call) -> dict[str, Any]:
        done = issuance.cancel(
            self.node,
            call.caller,
            issuance_pb2.CardActionRequest(
                ehcid=call.msg["ecard_id"], reason=call.msg.get("reason", ""), context=self._ctx(call)
            ),
        )
        return {"ecardId": done.card.ehcid, "card_status": str(int(done.card.status))}

    def _family(self, call: Call, bind: bool) -> dict[str, Any]:
        request = issuance_pb2.BindFamilyRequest(
            guardian_ehcid=call.msg["guardian_ecard_id"],
            member_ehcid=call.msg["member_ecard_id"],
            relation=call.msg.get("relation", ""),
            context=self._ctx(call),
        )
        done = (issuance.bind_family if bind else issuance.unbind_family)(self.node, call.caller, request)
        return self._members(done.main_index, done.members)

    @staticmethod
    def _members(main_index: str, members: Any) -> dict[str, Any]:
        return {
            "main_index": main_index,
            "members": [
                {"main_index": m.main_index, "name": m.name, "relation": m.relation, "ecardId": m.ehcid}
                for m in members
            ],
        }

    def bind_family(self, call: Call) -> dict[str, Any]:
        return self._family(call, True)

    def unbind_family(self, call: Call) -> dict[str, Any]:
        return self._family(call, False)

    def family_query(self, call: Call) -> dict[str, Any]:
        card = issuance.get_card(
            self.node, call.caller, issuance_pb2.GetCardRequest(ehcid=call.msg["guardian_ecard_id"])
        )
        found = issuance.query(
            self.node, call.caller, issuance_pb2.QueryRequest(main_index=card.person.main_index)
        )
        return self._members(card.person.main_index, found.family)

    def card_usage(self, call: Call) -> dict[str, Any]:
        m = call.msg
        ctx = self._poc_ctx(call, sam_field="sam_no")
        scene = m.get("scene_code") or ctx.medical_step
        record = usage_pb2.UsageRecord(
            request_id=call.action["msgGuid"],
            time=ctx.time,
            org_code=call.caller.org_code,
            org_name=ctx.org_name,
            use_city=ctx.use_city,
            scene=scene,
            medical_step=ctx.medical_step,
            department=ctx.department,
            card_type="10",  # resident health card (CPU chip)
            channel=ctx.channel,
            payment_category=m.get("pay_type", ""),
            visit_type="O",
            card_number=m["card_no"],
            atr=m["atr"],
            sam_number=m["sam_no"],
            terminal_id=call.caller.terminal_id,
        )
        ack = usage.report(self.node, call.caller, record)
        return {"record_id": ack.usage_id, "duplicate": "1" if ack.duplicate else "0"}

    def modify(self, call: Call) -> dict[str, Any]:
        m = call.msg
        done = issuance.modify(
            self.node,
            call.caller,
            issuance_pb2.ModifyRequest(
                ehcid=m["ecard_id"],
                name=m.get("name", ""),
                phone=m.get("cellphone", ""),
                address=m.get("address", ""),
                area_code=m.get("area_code", ""),
                context=self._ctx(call),
            ),
        )
        return self._person(done.person, done.card)

    def temporary_apply(self, call: Call) -> dict[str, Any]:
        m = call.msg
        done = issuance.register_newborn(
            self.node,
            call.caller,
            issuance_pb2.RegisterNewbornRequest(
                birth_certificate=m["id_number"],
                document_type=m.get("id_type", "99"),  # Qinghai V1.8: newborns are id_type 99
                name=m["name"],
                sex=m.get("sex", ""),
                nation=m.get("nation", ""),
                birth_date=m.get("birthday", ""),
                area_code=m.get("area_code") or call.caller.area_code,
                guardian_document_type=m.get("guardian_id_type", "01"),
                guardian_document_number=m["guardian_id_number"],
                application_mode="1" if call.app_route else "3",
                relation=m.get("relation", ""),
                context=self._ctx(call),
            ),
        )
        return {"ecardId": done.card.ehcid, "main_index": done.person.main_index, "qr_code": done.qr_text}

    # ------------------------------------------------------------------ SOAP
    def wsgi(self) -> Any:
        """The spyne SOAP 1.1 WSGI application (one operation, ``RHCMessageServer``)."""
        from spyne import Application, ServiceBase, Unicode, rpc
        from spyne.protocol.soap import Soap11
        from spyne.server.wsgi import WsgiApplication

        door = self

        class RHCMessageService(ServiceBase):
            @rpc(Unicode, Unicode, _returns=Unicode, _operation_name=SERVICE_NAME)
            def RHCMessageServer(ctx: Any, action: str | None, message: str | None) -> str:  # noqa: N802,N805
                return door.handle(action or "", message or "")

        app = Application(
            [RHCMessageService],
            tns=NAMESPACE,
            name=SERVICE_NAME,
            in_protocol=Soap11(validator="lxml"),
            out_protocol=Soap11(),
        )
        return _guarded(WsgiApplication(app), self.node.config.max_http_body_bytes)

    def router(self) -> Any:
        from a2wsgi import WSGIMiddleware
        from fastapi import APIRouter

        router = APIRouter()
        # Starlette serves a non-function endpoint as an ASGI app; its stub types only request handlers
        router.add_route(
            PATH,
            WSGIMiddleware(self.wsgi()),  # type: ignore[arg-type]
            methods=["GET", "POST"],
            include_in_schema=False,
        )
        return router


def _guarded(app: Any, limit: int) -> Any:
    """WSGI wrapper: the whole SOAP request is parsed with defusedxml first (a DTD, an entity
    bomb or an external entity never reaches spyne), and anything spyne raises becomes a SOAP
    fault, never a bare 500."""

    def fault(start_response: Any, text: str, exc_info: Any = None) -> list[bytes]:
        body = soap_fault(text)
        headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))]
        start_response("500 Internal Server Error", headers, exc_info)
        return [body]

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "POST":
            length = environ.get("CONTENT_LENGTH") or ""
            size = int(length) if length.isdigit() else -1
            raw = environ["wsgi.input"].read(min(size, limit + 1) if size >= 0 else limit + 1)
            try:
                check_document(raw)
            except XmlRefused as err:
                return fault(start_response, str(err))
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
        try:
            return app(environ, start_response)
        except Exception as exc:  # noqa: BLE001 - a fault, never a stack trace
            log(LOG, logging.WARNING, "qinghai SOAP request refused", error=type(exc).__name__)
            return fault(start_response, "the SOAP request could not be processed", sys.exc_info())

    return guarded


__all__ = ["QinghaiFrontDoor", "MESSAGE_FIELDS", "Refused"]
