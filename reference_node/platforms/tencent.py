"""The node's Tencent front door: the HealthCardOpenAPI envelope over the node's own services.

A thin adapter: every operation authenticates the envelope (app token, signature, time window,
request-id replay), turns ``req`` into the node's protobuf request, calls the SAME service function
the gRPC and REST doors call (no business rule is written twice) and turns the answer or the kit
error into ``commonOut`` + ``rsp``. Field spellings are the platform's (docs/platforms.md).

Identity: ``appId`` is a terminal registered with the node, ``appSecret`` that terminal's credential
secret as lower-case hex (``secret_hex`` of an ``ehc node client`` file), ``hospitalId`` the
terminal's organisation code (docs/assumptions.md "Tencent envelope").
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ehc.errors import EhcError
from ehc.gm import sm3
from ehc.spec import codes
from ehc.spec.identifiers import mask_id
from reference_node.auth import Authenticator
from reference_node.node import Caller, Node
from reference_node.observability import log
from reference_node.platforms import loads_json, over_rate
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import issuance_pb2, main_index_pb2, usage_pb2, verification_pb2
from reference_node.services import issuance, main_index, usage, verification

from .tencent_envelope import OPERATION_PREFIX, RESULT_CODES, TOKEN_LIFETIME_S, TOKEN_PATH, sign

LOG = logging.getLogger("reference_node")

#: channelNum (the app's channel) -> the node's card-use channel when req carries none (assumption)
CHANNEL_OF_CHANNEL_NUM = {0: "0401", 1: "0402", 3: "0200", 4: "0200"}
#: operations whose requestId is an idempotency key: a repeat is answered, not refused
IDEMPOTENT = frozenset({"reportHISData"})
#: longest value accepted per field (platform lengths where public, else the node's own bounds)
FIELD_MAX = {
    "appToken": 64, "requestId": 64, "hospitalId": 32, "timestamp": 12, "sign": 64, "appId": 32,
    "qrCodeText": 256, "healthCardId": 64, "idNumber": 32, "idCardNumber": 32, "name": 50,
    "address": 200, "phone1": 20, "phone2": 20, "patid": 32, "wechatCode": 128, "terminalId": 32,
    "hospitalCode": 32, "hospitalName": 100, "useCityCode": 6, "useCityName": 50, "scene": 7,
    "department": 32, "cardType": 2, "cardChannel": 4, "cardCostTypes": 4, "medicalStep": 6,
    "channelCode": 4, "useType": 2, "codeType": 1, "idType": 2, "gender": 4, "nation": 20,
    "birthday": 10, "time": 19, "citycode": 6,
}  # fmt: skip


class PlatformError(Exception):
    """An envelope-level refusal: ``result`` is a RESULT_CODES name."""

    def __init__(self, result: str, message: str) -> None:
        super().__init__(message)
        self.result = result
        self.message = message


# kit error code name -> Tencent result name (everything else: BUSINESS_REFUSED)
_RESULT_OF_KIT = {
    "NODE_CARD_UNKNOWN": "CARD_UNKNOWN", "NODE_CHIP_UNKNOWN": "CARD_UNKNOWN",
    "NODE_CARD_SUSPENDED": "CARD_SUSPENDED", "NODE_CARD_CANCELLED": "CARD_CANCELLED",
    "NODE_CARD_SUPERSEDED": "CARD_CANCELLED", "QR_EXPIRED": "CODE_EXPIRED",
    "QR_NOT_YET_VALID": "CODE_EXPIRED", "NODE_QR_EXHAUSTED": "CODE_EXHAUSTED",
    "NODE_QR_NOT_ISSUED": "CODE_INVALID", "NODE_FIELD_MISSING": "FIELD_MISSING",
    "NODE_FIELD_TOO_LONG": "FIELD_TOO_LONG", "NODE_FIELD_BAD_FORMAT": "FIELD_BAD_FORMAT",
    "NODE_FIELD_BAD_CODE": "FIELD_BAD_FORMAT", "NODE_DOCUMENT_INVALID": "DOCUMENT_INVALID",
    "NODE_IDENTITY_CONFLICT": "CONFLICT", "NODE_MEDIUM_TAKEN": "CONFLICT", "NODE_USAGE_CONFLICT": "CONFLICT",
    "NODE_CARD_STATE_CONFLICT": "CONFLICT", "NODE_PERSON_UNKNOWN": "PERSON_UNKNOWN",
    "NODE_MEDIUM_UNKNOWN": "PERSON_UNKNOWN", "NODE_STORE_ERROR": "SERVICE_UNAVAILABLE",
    "NODE_RATE_LIMITED": "SERVICE_UNAVAILABLE", "NODE_INTERNAL": "INTERNAL",
    "ID_BAD_AREA": "FIELD_BAD_FORMAT",  # an area field (useCityCode…); an ID number's area is DOCUMENT_INVALID
}  # fmt: skip


def result_of(err: EhcError) -> str:
    name = err.code.name
    if name in _RESULT_OF_KIT:
        return _RESULT_OF_KIT[name]
    if name == "NODE_TERMINAL_NOT_CERTIFIED":
        return "APP_NOT_CERTIFIED"  # 检测备案: the operator registers a certification report
    if name.startswith(("NODE_FORBIDDEN", "NODE_CONTEXT")):
        return "APP_FORBIDDEN"
    if name.startswith("NODE_AUTH"):
        return "APP_FORBIDDEN"
    if 1000 <= err.code.number < 2000:
        return "DOCUMENT_INVALID"  # identifier rules (GB 11643: check character, upper-case X, …)
    if 2000 <= err.code.number < 3000:
        return "CODE_INVALID"  # qr_codec: malformed code text
    return "BUSINESS_REFUSED"


class AppTokens:
    """appToken per app: valid ``lifetime_s``; a new token supersedes the app's previous one.

    Kept in the node's store (the SM3 of each token, its app, expiry and issue time), so every process
    of a node started with ``--processes N`` sees the same current token at once; ``db`` None keeps
    the table in this process (unit tests). Expired rows are purged when a token is issued.
    """

    TABLE = (
        "CREATE TABLE IF NOT EXISTS platform_app_tokens (token_sm3 TEXT PRIMARY KEY, app_id TEXT NOT NULL, "
        "expires_at DOUBLE PRECISION NOT NULL, issued_ns BIGINT NOT NULL)"
    )

    def __init__(self, lifetime_s: int = TOKEN_LIFETIME_S, db: Any = None) -> None:
        self.lifetime_s = lifetime_s
        self.db = db
        self._local: dict[str, tuple[str, float, int]] = {}  # token digest -> (app, expiry, issued)
        self._lock = threading.Lock()
        if db is not None:
            with db.transaction() as cur:
                cur.run(self.TABLE)

    @staticmethod
    def _digest(token: str) -> str:
        return sm3(token.encode("utf-8", "replace")).hex()  # the store never holds a usable token

    def issue(self, app_id: str, now: float) -> str:
        token = secrets.token_hex(16).upper()
        row = (self._digest(token), app_id, now + self.lifetime_s, time.time_ns())
        if self.db is None:
            with self._lock:
                self._local = {d: v for d, v in self._local.items() if v[1] > now}
                self._local[row[0]] = row[1:]
            return token
        with self.db.transaction() as cur:
            cur.run("DELETE FROM platform_app_tokens WHERE expires_at < ?", (now,))
            cur.run(
                "INSERT INTO platform_app_tokens (token_sm3, app_id, expires_at, issued_ns) VALUES (?, ?, ?, ?)",
                row,
            )
        return token

    def _lookup(self, digest: str) -> tuple[str, float, bool] | None:
        """(app, expiry, is the app's newest token) of a token digest, or None when unknown."""
        if self.db is None:
            with self._lock:
                entry = self._local.get(digest)
                if entry is None:
                    return None
                newest = max(v[2] for v in self._local.values() if v[0] == entry[0])
                return entry[0], entry[1], entry[2] == newest
        row = self.db.one(
            "SELECT t.app_id, t.expires_at, t.issued_ns, "
            "(SELECT MAX(c.issued_ns) FROM platform_app_tokens c WHERE c.app_id = t.app_id) "
            "FROM platform_app_tokens t WHERE t.token_sm3 = ?",
            (digest,),
        )
        return (str(row[0]), float(row[1]), int(row[2]) == int(row[3])) if row else None

    def app_of(self, token: str, now: float) -> str:
        found = self._lookup(self._digest(token))
        if found is None:
            raise PlatformError("TOKEN_INVALID", "appToken unknown; call getAppToken")
        app_id, until, newest = found
        if now >= until:
            raise PlatformError("TOKEN_INVALID", "appToken expired; call getAppToken")
        if not newest:
            raise PlatformError("TOKEN_SUPERSEDED", "appToken superseded by a newer one; use the latest")
        return app_id


def _str(req: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = req.get(key)
    if value is None or value == "":
        if required:
            raise PlatformError("FIELD_MISSING", f"{key} is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PlatformError("FIELD_BAD_FORMAT", f"{key} must be a string")
    text = str(value)
    limit = FIELD_MAX.get(key, 256)
    if len(text) > limit:
        raise PlatformError("FIELD_TOO_LONG", f"{key} is longer than {limit} characters")
    return text


def _time14(text: str, key: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` -> ``YYYYMMDDHHMMSS`` ('' stays '')."""
    if not text:
        return ""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").strftime("%Y%m%d%H%M%S")
    except ValueError:
        raise PlatformError("FIELD_BAD_FORMAT", f"{key} must be yyyy-MM-dd HH:mm:ss") from None


def _code_of(table: Any, value: str, key: str) -> str:
    if not value:
        return ""
    try:
        return table.require(value).code
    except EhcError:
        try:
            return table.by_name(value).code
        except EhcError:
            raise PlatformError(
                "FIELD_BAD_FORMAT", f"{key} is neither a code nor a name of {table.name}"
            ) from None


def _person_rsp(person: c.Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "gender": codes.SEXES.zh(person.sex) if person.sex else "",
        "nation": codes.NATIONS.zh(person.nation) if person.nation else "",
        "birthday": person.birth_date,
        "idType": person.document_type,
        "idNumber": person.document_number,
        "address": person.address,
        "phone": person.phone,
        "phid": person.main_index,
    }


def _card_rsp(card: c.Card, person: c.Person) -> dict[str, Any]:
    return {**_person_rsp(person), "healthCardId": card.ehcid, "status": c.CardStatus.Name(card.status)}


@dataclass
class Call:
    caller: Caller
    common_in: dict[str, Any]
    req: dict[str, Any]


class TencentFrontDoor:
    """Answers one envelope (bytes in, dict out); the HTTP router is ``router()``."""

    def __init__(self, node: Node, auth: Authenticator) -> None:
        self.node = node
        self.auth = auth
        self.tokens = AppTokens(db=node.db)
        self.operations: dict[str, Callable[[Call], dict[str, Any]]] = {
            "registerHealthCard": self.register_health_card,
            "registerBatchHealthCard": self.register_batch_health_card,
            "getDynamicQRCode": self.get_dynamic_qr_code,
            "verifyQRCode": self.verify_qr_code,
            "getHealthCardByQRCode": self.get_health_card_by_qr_code,
            "getHealthCardByHealthCardId": self.get_health_card_by_health_card_id,
            "reportHISData": self.report_his_data,
            "bindCardRelation": self.bind_card_relation,
            "updateHealthCardId": self.update_health_card_id,
        }

    # ------------------------------------------------------------------ envelope
    def handle(self, operation: str | None, raw: bytes) -> dict[str, Any]:
        """``operation`` None = getAppToken. Never raises: every failure is a commonOut."""
        request_id = ""
        try:
            try:
                body = loads_json(raw)
            except ValueError as exc:
                raise PlatformError("ENVELOPE_MALFORMED", str(exc)) from None
            if not isinstance(body, dict):
                raise PlatformError("ENVELOPE_MALFORMED", "body is not a JSON object")
            common_in, req = body.get("commonIn"), body.get("req", {})
            if not isinstance(common_in, dict) or not isinstance(req, dict):
                raise PlatformError("ENVELOPE_MALFORMED", "commonIn and req must be JSON objects")
            request_id = _str(common_in, "requestId", required=True)
            if operation is None:
                rsp = self.get_app_token(common_in, req)
            else:
                handler = self.operations.get(operation)
                if handler is None:
                    raise PlatformError("OPERATION_UNKNOWN", f"no operation {operation[:40]!r}")
                rsp = handler(self.authenticate(common_in, req, idempotent=operation in IDEMPOTENT))
            return self._out(request_id, "OK", "", rsp)
        except PlatformError as err:
            return self._out(request_id, err.result, err.message)
        except EhcError as err:
            return self._out(request_id, result_of(err), f"{err.code.name}: {err.message}")
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller
            ref = self.node.new_id()[:12]
            log(LOG, logging.ERROR, "tencent front door internal error", ref=ref, error=type(exc).__name__)
            return self._out(request_id, "INTERNAL", f"internal error, reference {ref}")

    def _out(self, request_id: str, result: str, message: str, rsp: dict | None = None) -> dict[str, Any]:
        self.node.metrics.inc("ehc_node_platform_requests_total", platform="tencent", result=result)
        out: dict[str, Any] = {
            "commonOut": {"requestId": request_id, "resultCode": RESULT_CODES[result], "errMsg": message}
        }
        if rsp is not None:
            out["rsp"] = rsp
        return out

    def _check_common(
        self, common_in: dict[str, Any], req: dict[str, Any], secret: str, *, idempotent: bool = False
    ) -> None:
        """Signature, time window and request-id replay (in this order: an unsigned call cannot
        spend a request id). ``idempotent`` operations (reportHISData, whose requestId is the usage
        record's idempotency key) let a repeated requestId through: the service answers it as a
        duplicate, so a HIS retrying after a lost answer neither fails nor counts twice."""
        given = _str(common_in, "sign", required=True)
        expected = sign(common_in, req, secret)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii")):
            raise PlatformError("SIGN_MISMATCH", "sign does not verify (see docs/platforms.md for the input)")
        stamp = _str(common_in, "timestamp", required=True)
        if not stamp.isascii() or not stamp.isdigit():
            raise PlatformError("FIELD_BAD_FORMAT", "timestamp must be Unix seconds")
        now = time.time()
        window = self.node.config.replay_window_s
        if abs(now - int(stamp)) > window:
            raise PlatformError(
                "TIMESTAMP_OUT_OF_WINDOW", f"timestamp is more than {window} s from the node's clock"
            )
        key = f"tencent|{common_in.get('hospitalId')}|{common_in['requestId']}"
        if not self.auth.fresh_nonce(key, now, int(stamp)) and not idempotent:
            raise PlatformError("REQUEST_ID_REPLAYED", "requestId already used within the window")

    def _app(self, app_id: str) -> tuple[str, Caller, EhcError | None]:
        cred = self.auth.credential(app_id)
        if cred is None:
            raise PlatformError("APP_UNKNOWN", "appId is not registered with this node")
        secret, caller, refusal = cred
        return secret.hex(), caller, refusal

    @staticmethod
    def _admit(caller: Caller, refusal: EhcError | None, hospital_id: str) -> None:
        """After the sign verified (an unsigned call learns nothing about the app): the node's own
        refusal of the app (revoked; not certified, 检测备案), then its organisation."""
        if refusal is not None:
            raise PlatformError(result_of(refusal), f"{refusal.code.name}: {refusal.message}")
        if hospital_id != caller.org_code:
            raise PlatformError("APP_FORBIDDEN", "hospitalId is not the app's organisation")

    def get_app_token(self, common_in: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
        app_id = _str(req, "appId", required=True)
        hospital_id = _str(common_in, "hospitalId", required=True)
        secret, caller, refusal = self._app(app_id)
        self._check_common(common_in, req, secret)
        self._admit(caller, refusal, hospital_id)
        token = self.tokens.issue(app_id, time.time())
        log(LOG, logging.INFO, "tencent app token issued", app=app_id)
        return {"appToken": token, "expiresIn": self.tokens.lifetime_s}

    def authenticate(
        self, common_in: dict[str, Any], req: dict[str, Any], *, idempotent: bool = False
    ) -> Call:
        token = _str(common_in, "appToken", required=True)
        hospital_id = _str(common_in, "hospitalId", required=True)
        app_id = self.tokens.app_of(token, time.time())
        secret, caller, refusal = self._app(app_id)
        self._check_common(common_in, req, secret, idempotent=idempotent)
        self._admit(caller, refusal, hospital_id)
        if over_rate(self.auth, caller, app_id):
            raise EhcError(self._rate_limited_code(), "over the app's call rate; retry shortly")
        return Call(caller, common_in, req)

    @staticmethod
    def _rate_limited_code() -> Any:
        from reference_node.errors import RATE_LIMITED

        return RATE_LIMITED

    # ------------------------------------------------------------------ context
    def _context(self, call: Call, *, point_of_care: bool) -> c.TerminalContext:
        req = call.req
        raw_num = call.common_in.get("channelNum", 0)
        channel_num = int(raw_num) if str(raw_num).isdigit() else -1
        channel = (
            _str(req, "channelCode")
            or _str(req, "cardChannel")
            or CHANNEL_OF_CHANNEL_NUM.get(channel_num, "")
        )
        step = _str(req, "medicalStep") or (_str(req, "scene")[:6] if req.get("scene") else "")
        ctx = c.TerminalContext(
            terminal_id=call.caller.terminal_id,
            org_code=call.caller.org_code,
            org_name=_str(req, "hospitalName"),
            use_city=_str(req, "useCityCode") or (call.caller.area_code if point_of_care else ""),
            channel=channel if point_of_care or channel else "",
            medical_step=step or ("010101" if point_of_care else ""),
            time=_time14(_str(req, "time"), "time"),
        )
        hospital = _str(req, "hospitalCode")
        if hospital and hospital != call.caller.org_code:
            raise PlatformError("APP_FORBIDDEN", "hospitalCode is not the app's organisation")
        return ctx

    # ------------------------------------------------------------------ operations
    def _register_request(
        self, item: dict[str, Any], call: Call, index: int = 0
    ) -> issuance_pb2.RegisterRequest:
        doc_type = _str(item, "idType") or "01"
        number = _str(item, "idNumber", required=True)
        # residence area: the platform's optional citycode, else the citizen ID's area, else the app's
        area = _str(item, "citycode") or (number[:6] if doc_type == "01" else "") or call.caller.area_code
        return issuance_pb2.RegisterRequest(
            application_mode="1",  # the app route (小程序/服务号)
            name=_str(item, "name", required=True),
            document_type=doc_type,
            document_number=number,
            area_code=area,
            sex=_code_of(codes.SEXES, _str(item, "gender"), "gender"),
            nation=_code_of(codes.NATIONS, _str(item, "nation"), "nation"),
            birth_date=_str(item, "birthday"),
            phone=_str(item, "phone1"),
            address=_str(item, "address"),
            request_id=f"{call.common_in['requestId'][:56]}.{index}",
            context=self._context(call, point_of_care=False),
        )

    def _link_patid(self, call: Call, main_index_id: str, patid: str) -> None:
        main_index.link_medium(
            self.node,
            call.caller,
            main_index_pb2.LinkMediumRequest(
                main_index=main_index_id,
                medium=main_index_pb2.MEDIUM_HOSPITAL_CARD,
                identifier=patid,
                issuer=call.caller.org_code,
                context=self._context(call, point_of_care=False),
            ),
        )

    def register_health_card(self, call: Call) -> dict[str, Any]:
        request = self._register_request(call.req, call)
        patid = _str(call.req, "patid")
        _str(call.req, "wechatCode")  # bounded; the kit has no WeChat account to check it against
        done = issuance.register(self.node, call.caller, request)
        if patid:
            self._link_patid(call, done.person.main_index, patid)
        return {
            "qrCodeText": done.qr_text,
            "healthCardId": done.card.ehcid,
            "phid": done.person.main_index,
            "adminExt": "",
        }

    def register_batch_health_card(self, call: Call) -> dict[str, Any]:
        items = call.req.get("healthCardItems") or call.req.get("healthCardInfos")
        if not isinstance(items, list) or not items:
            raise PlatformError("FIELD_MISSING", "healthCardItems must be a non-empty list")
        if len(items) > 1000:
            raise PlatformError("FIELD_TOO_LONG", "healthCardItems holds more than 1000 items")
        if not all(isinstance(i, dict) for i in items):
            raise PlatformError("FIELD_BAD_FORMAT", "each of healthCardItems must be an object")
        requests = [
            self._register_request(item, call, n) for n, item in enumerate(items)
        ]  # all checked first
        out = []
        for result in issuance.register_batch(self.node, call.caller, requests):
            for item in result.items:
                source = items[item.index]
                row = {"idNumber": _str(source, "idNumber"), "idType": _str(source, "idType") or "01"}
                if item.ok:
                    row.update(qrCodeText=f"{item.ehcid}:1", healthCardId=item.ehcid)
                else:
                    row.update(errMsg=f"{item.error.code}: {item.error.message}")
                out.append(row)
        return {"rspItems": out}

    def _card_for(self, call: Call, ehcid: str, id_type: str, id_number: str) -> issuance_pb2.CardResponse:
        card = issuance.get_card(self.node, call.caller, issuance_pb2.GetCardRequest(ehcid=ehcid))
        if id_number and (
            card.person.document_number != id_number or (id_type and card.person.document_type != id_type)
        ):
            raise PlatformError("IDENTITY_MISMATCH", "idType/idNumber do not belong to healthCardId")
        return card

    def get_dynamic_qr_code(self, call: Call) -> dict[str, Any]:
        from qr_codec.image import render_png

        ehcid = _str(call.req, "healthCardId", required=True)
        code_type = _str(call.req, "codeType") or "0"
        if code_type not in ("0", "1"):
            raise PlatformError("FIELD_BAD_FORMAT", "codeType must be 0 (dynamic) or 1 (static)")
        self._card_for(call, ehcid, _str(call.req, "idType"), _str(call.req, "idNumber", required=True))
        code = issuance.get_qr_code(
            self.node,
            call.caller,
            issuance_pb2.GetQrCodeRequest(
                ehcid=ehcid,
                code_type=c.CODE_TYPE_STATIC if code_type == "1" else c.CODE_TYPE_DYNAMIC,
                context=self._context(call, point_of_care=False),
            ),
        )
        png = render_png(code.qr_text)
        return {
            "qrCodeText": code.qr_text,
            "qrCodeImg": base64.b64encode(png).decode("ascii"),
            "codeColor": 0,
            "healthCardId": ehcid,
        }

    def verify_qr_code(self, call: Call) -> dict[str, Any]:
        text = _str(call.req, "qrCodeText", required=True)
        _str(call.req, "terminalId")  # the scanning device; calls act as the app (docs/platforms.md)
        _str(call.req, "useType")
        result = verification.verify_qr(
            self.node,
            call.caller,
            verification_pb2.VerifyQrRequest(qr_text=text, context=self._context(call, point_of_care=True)),
        )
        return {**_card_rsp(result.card, result.person), "result": True}

    def get_health_card_by_qr_code(self, call: Call) -> dict[str, Any]:
        text = _str(call.req, "qrCodeText", required=True)
        found = main_index.resolve(
            self.node,
            call.caller,
            main_index_pb2.ResolveRequest(
                medium=main_index_pb2.MEDIUM_EHC_QR,
                identifier=text,
                context=self._context(call, point_of_care=False),
            ),
        )
        card = next(
            (k for k in found.cards if text.startswith(k.ehcid)), found.cards[0] if found.cards else None
        )
        if card is None:
            raise PlatformError("CARD_UNKNOWN", "no card for this code")
        return {"card": _card_rsp(card, found.person)}

    def get_health_card_by_health_card_id(self, call: Call) -> dict[str, Any]:
        ehcid = _str(call.req, "healthCardId", required=True)
        card = issuance.get_card(self.node, call.caller, issuance_pb2.GetCardRequest(ehcid=ehcid))
        return {"card": _card_rsp(card.card, card.person)}

    def report_his_data(self, call: Call) -> dict[str, Any]:
        req = call.req
        text = _str(req, "qrCodeText")
        card_type = _str(req, "cardType", required=True)
        scene = _str(req, "scene", required=True)
        department = _str(req, "department")
        dept_code = _code_of(codes.DEPARTMENTS, department, "department") if department else ""
        ctx = self._context(call, point_of_care=True)
        record = usage_pb2.UsageRecord(
            request_id=call.common_in["requestId"],
            time=_time14(_str(req, "time", required=True), "time"),
            org_code=call.caller.org_code,
            org_name=ctx.org_name,
            use_city=ctx.use_city,
            scene=scene,
            medical_step=scene[:6],
            department=dept_code,
            card_type=card_type,
            channel=_str(req, "cardChannel") or ctx.channel,
            payment_category=_str(req, "cardCostTypes"),
            visit_type="O",
            terminal_id=call.caller.terminal_id,
        )
        _str(req, "name")
        if text:
            record.ehcid = text[:64]
        else:
            record.card_number = _str(req, "idCardNumber", required=True)
        ack = usage.report(self.node, call.caller, record)
        return {"result": True, "duplicate": ack.duplicate}

    def bind_card_relation(self, call: Call) -> dict[str, Any]:
        text = _str(call.req, "qrCodeText", required=True)
        patid = _str(call.req, "patid", required=True)
        found = main_index.resolve(
            self.node,
            call.caller,
            main_index_pb2.ResolveRequest(
                medium=main_index_pb2.MEDIUM_EHC_QR,
                identifier=text,
                context=self._context(call, point_of_care=False),
            ),
        )
        self._link_patid(call, found.person.main_index, patid)
        return {"result": True}

    def update_health_card_id(self, call: Call) -> dict[str, Any]:
        items = call.req.get("updateHealthCardIdItems")
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise PlatformError(
                "FIELD_MISSING", "updateHealthCardIdItems must be a non-empty list of objects"
            )
        if len(items) > 100:
            raise PlatformError("FIELD_TOO_LONG", "updateHealthCardIdItems holds more than 100 items")
        for item in items:
            ehcid = _str(item, "healthCardId", required=True)
            number = _str(item, "idNumber", required=True)
            issuance.upgrade_temporary(
                self.node,
                call.caller,
                issuance_pb2.UpgradeTemporaryRequest(
                    ehcid=ehcid,
                    document_type=_str(item, "idType") or "01",
                    document_number=number,
                    context=self._context(call, point_of_care=False),
                ),
            )
            log(LOG, logging.INFO, "tencent temporary card upgraded", doc=mask_id(number))
        return {"result": True}

    # ------------------------------------------------------------------ HTTP
    def router(self) -> APIRouter:
        router = APIRouter(tags=["Tencent HealthCardOpenAPI envelope"])

        @router.post(TOKEN_PATH, summary="getAppToken (Tencent envelope)")
        async def get_app_token(request: Request) -> JSONResponse:
            raw = await request.body()
            return JSONResponse(await run_in_threadpool(self.handle, None, raw))

        @router.post(
            OPERATION_PREFIX + "{operation}", summary="HealthCardOpenAPI operation (Tencent envelope)"
        )
        async def operation(operation: str, request: Request) -> JSONResponse:
            raw = await request.body()
            return JSONResponse(await run_in_threadpool(self.handle, operation, raw))

        return router


__all__ = ["TencentFrontDoor", "AppTokens", "PlatformError", "result_of", "CHANNEL_OF_CHANNEL_NUM"]
