"""The kit's reference HIS as a JSON-lines driver (``python -m conformance_tests.drivers.reference_his``).

Speaks the HIS driver protocol of docs/certification.md: the kit sends patients through the steps
of the full process (seed 001: 挂号 排队 就诊 收费 检验 检查 取药 住院 体检); the HIS identifies
each patient through the node on every visit and reports the card use of every step with its own
organisation, the scene of the step and the card type of the medium it read. It stops a visit the
node refuses, and stops issuing/accepting legacy hospital cards at the profile's dates.

Two ways to reach the node, chosen by ``configure``: the node's own gRPC API (``node`` +
``credentials``), or — ``api: "tencent"`` — the Tencent HealthCardOpenAPI envelope at ``base_url``
with ``app_id`` / ``app_secret`` / ``hospital_id``, as a WeChat-route HIS ships: verifyQRCode for an
e-card, registerHealthCard with the document for an ID card / social security card / resident card
(a repeat registration answers the card on record), reportHISData per step (``requestId`` = the
usage record id, the same on a retry), bindCardRelation for a hospital card it issues.

``EHC_HIS_MUTANT=NAME`` (self-test only) runs a deliberately broken HIS instead: the ``HIS_CLASS``
of the module of that mutant in ``conformance_tests.mutants.his``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from typing import Any

from conformance_tests.drivers.his_payment import PaymentDesk
from ehc.errors import EhcError

PROTOCOL = "ehc-his-driver/1"
CST = dt.timezone(dt.timedelta(hours=8))
# Standard department code (4 digits) of each step (DIGEST §1.5).
DEPARTMENTS = {
    "registration": "5500",
    "queue": "0300",
    "consultation": "0300",
    "payment": "5600",
    "lab": "9900",
    "imaging": "9900",
    "pharmacy": "9900",
    "inpatient": "0300",
    "checkup": "0100",
}
#: public services on the card (issue #16; seeds 000, 002, 003): the ``service`` operation
PUBLIC_SERVICES = ("booking", "queue_reminder", "report_query", "record_query", "family_doctor")
#: department of the card use of each public service (a booking: the department booked)
SERVICE_DEPARTMENTS = {
    "booking": "0300",
    "queue_reminder": "0300",
    "lab_report": "3000",
    "imaging_report": "3200",
    "record_query": "6000",
    "family_doctor": "0200",
}
#: card type of the usage report per medium read (ehc.spec.codes.CARD_MEDIA)
CARD_TYPES = {
    "ehc-qr-static": "11",
    "ehc-qr-dynamic": "11",
    "resident-card": "10",
    "id-card": "20",
    "ssc": "30",
    "hospital-card": "80",
}


class Refused(Exception):
    """The visit cannot go on: an error for the kit, nothing reported."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message)
        self.code = code


class Ack:
    """A usage report's answer, whichever way it went."""

    def __init__(self, accepted: bool, duplicate: bool) -> None:
        self.accepted, self.duplicate = accepted, duplicate


class His(PaymentDesk):
    def __init__(self) -> None:
        self.client: Any = None
        self.api = "grpc"
        self.platform: Any = None  # TencentClient in Tencent mode
        self.site: Any = None  # the HIS's own context (org, city, channel) in Tencent mode
        self.scenes: dict[str, str] = {}
        self.services: dict[str, str] = {}  # public service -> scene (profile ``public_services``)
        self.stop_issue: dt.date | None = None
        self.stop_use: dt.date | None = None
        self.qr_of_card: dict[str, str] = {}  # healthCardId -> the code text read at this visit
        self.bound: dict[str, str] = {}  # hospital card (patid) -> holder's code text, as bound

    # ------------------------------------------------------------------ protocol operations
    def hello(self, _req: dict) -> dict:
        return {
            "driver": {
                "name": "ehc reference HIS",
                "protocol": PROTOCOL,
                "media": sorted(CARD_TYPES),
                "apis": ["grpc", "tencent"],
                "services": list(PUBLIC_SERVICES),
            }
        }

    def configure(self, req: dict) -> dict:
        if req.get("api", "grpc") == "tencent":
            from reference_node.platforms.tencent_client import TencentClient
            from reference_node.proto.ehc.node.v1 import common_pb2

            self.api = "tencent"
            self.platform = TencentClient(
                req["base_url"], req["app_id"], req["app_secret"], req["hospital_id"]
            )
            self.site = common_pb2.TerminalContext(
                org_code=req["hospital_id"],
                org_name=req.get("hospital_name", ""),
                use_city=req.get("use_city", ""),
                channel=req.get("channel") or "0100",
            )
        elif req.get("api", "grpc") == "grpc":
            from reference_node.client import Credentials, NodeClient

            self.client = NodeClient(req["node"], Credentials.from_dict(req["credentials"]))
        else:
            raise Refused("API_UNSUPPORTED", f"api {str(req.get('api'))[:20]!r}: grpc or tencent")
        self.scenes = dict(req["scenes"])
        self.services = dict(req.get("public_services") or {})
        cards = req.get("hospital_cards") or {}
        self.stop_issue = dt.date.fromisoformat(cards["stop_issue"]) if cards.get("stop_issue") else None
        self.stop_use = dt.date.fromisoformat(cards["stop_use"]) if cards.get("stop_use") else None
        return {}

    def visit(self, req: dict) -> dict:
        steps = req["steps"]
        day = dt.date.fromisoformat(req["date"]) if req.get("date") else dt.datetime.now(CST).date()
        try:
            who = self.identify(req["patient"], self.scenes[steps[0]], day)
        except Refused as exc:
            return {"patient": None, "error": {"code": exc.code, "message": str(exc)}, "steps": []}
        done = [
            # a billed 收费 step is a consulting-room payment (his_payment.PaymentDesk)
            self.pay_step(who, req)
            if step == "payment" and req.get("bill")
            else self.report_step(who, step, req.get("visit_type", "O"))
            for step in steps
        ]
        return {
            "patient": {"main_index": who["main_index"]},
            "pay_later": self.pay_later(who),
            "steps": done,
            "visit_id": self.remember_visit(who),
        }

    def hospital_card(self, req: dict) -> dict:
        """action=issue: issue a legacy hospital card to ``patient`` on ``date`` (linked at the node)."""
        day = dt.date.fromisoformat(req["date"])
        if not self.hospital_cards_allowed(req["action"], day):
            return {"allowed": False, "issued": False}
        if req["action"] != "issue":
            return {"allowed": True}
        who = self.identify(req["patient"], self.scenes["registration"], day)
        number = "HC" + uuid.uuid4().hex[:12].upper()
        self.link_hospital_card(who, number)
        return {"allowed": True, "issued": True, "identifier": number}

    def service(self, req: dict) -> dict:
        """A public service on the card (``service``: booking, queue_reminder, report_query with
        ``kind`` lab|imaging, record_query, family_doctor): the patient is identified at the node
        with the card or code presented, the service is done and its card use is reported with the
        service's scene and the ``channel`` the patient used. A card the node refuses stops it."""
        name = str(req.get("service", ""))
        if name not in PUBLIC_SERVICES:
            raise Refused("SERVICE_UNKNOWN", f"service {name[:20]!r}: one of {', '.join(PUBLIC_SERVICES)}")
        scene = self.service_scene(name, req)
        try:
            who = self.identify(req["patient"], scene, dt.datetime.now(CST).date())
        except Refused as exc:
            return {"patient": None, "error": {"code": exc.code, "message": str(exc)}, "reported": False}
        reported = self.report_service(who, name, scene, req)
        return {
            "patient": {"main_index": who["main_index"]},
            "service": name,
            "scene": scene,
            "reported": reported,
            **self.service_result(name, req, who),
        }

    # ------------------------------------------------------------------ behaviour (mutants override)
    def service_key(self, name: str, req: dict) -> str:
        """The ``public_services`` key of a request: a report query by its kind."""
        if name == "report_query":
            kind = req.get("kind", "lab")
            if kind not in ("lab", "imaging"):
                raise Refused("SERVICE_UNKNOWN", "report_query kind: lab or imaging")
            return f"{kind}_report"
        return name

    def service_scene(self, name: str, req: dict) -> str:
        key = self.service_key(name, req)
        if key not in self.services:
            raise Refused("SERVICE_NOT_CONFIGURED", f"no scene configured for {key}")
        return self.services[key]

    def make_service_record(self, who: dict, name: str, scene: str, req: dict) -> Any:
        from reference_node.proto.ehc.node.v1 import usage_pb2

        ctx = self.context()
        department = req.get("department") if name == "booking" else None
        return usage_pb2.UsageRecord(
            request_id=str(uuid.uuid4()),
            time=dt.datetime.now(CST).strftime("%Y%m%d%H%M%S"),
            org_code=ctx.org_code,
            org_name=ctx.org_name,
            use_city=ctx.use_city,
            scene=scene,
            medical_step=scene[:6],
            department=department or SERVICE_DEPARTMENTS[self.service_key(name, req)],
            card_type=who["card_type"],
            channel=req.get("channel") or ctx.channel,  # where the patient used the card
            visit_type="O",
            terminal_id=ctx.terminal_id,
            ehcid=who["ehcid"] if who["card_type"] == "11" else "",
            card_number=who.get("card_number", ""),
        )

    def report_service(self, who: dict, name: str, scene: str, req: dict) -> bool:
        ack = self.report(self.make_service_record(who, name, scene, req))
        return bool(ack and (ack.accepted or ack.duplicate))

    def service_result(self, name: str, req: dict, who: dict) -> dict:
        """What the patient is shown (the HIS's own business; the kit checks only that a refused
        card gets none of it)."""
        if name == "booking":
            return {"booking": {"slot": req.get("slot", ""), "number": uuid.uuid4().hex[:8].upper()}}
        if name == "queue_reminder":
            return {"reminder": {"ahead": 0}}
        if name == "report_query":
            return {"reports": []}
        if name == "record_query":
            return {"records": []}
        return {"signed": {"doctor": req.get("doctor", ""), "main_index": who["main_index"]}}

    def hospital_cards_allowed(self, action: str, day: dt.date) -> bool:
        limit = self.stop_issue if action == "issue" else self.stop_use
        return limit is None or day < limit

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        """Who the node says the patient is (never the HIS's own records). Raises Refused."""
        import grpc

        from reference_node.client import error_of

        medium = patient["medium"]
        if medium == "hospital-card" and not self.hospital_cards_allowed("accept", day):
            raise Refused("HOSPITAL_CARD_STOPPED", "legacy hospital cards are no longer accepted")
        if self.api == "tencent":
            return self.ask_platform(patient, scene)
        try:
            return self.ask_node(patient, scene)
        except grpc.RpcError as exc:
            err = error_of(exc)
            raise Refused(err.code.name, err.message) from None

    def ask_node(self, patient: dict, scene: str) -> dict:
        from reference_node.proto.ehc.node.v1 import main_index_pb2, verification_pb2

        ctx = self.client.context(scene=scene, medical_step=scene[:6])
        medium = patient["medium"]
        if medium.startswith("ehc-qr"):
            r = self.client.verification.VerifyQr(
                verification_pb2.VerifyQrRequest(qr_text=patient["qr_text"], context=ctx)
            )
            return {
                "main_index": r.person.main_index,
                "ehcid": r.card.ehcid,
                "poverty": r.flags.poverty_relief,
                "card_type": CARD_TYPES[medium],
            }
        kind = {
            "id-card": main_index_pb2.MEDIUM_CITIZEN_ID,
            "ssc": main_index_pb2.MEDIUM_SOCIAL_SECURITY_CARD,
            "resident-card": main_index_pb2.MEDIUM_RESIDENT_HEALTH_CARD,
            "hospital-card": main_index_pb2.MEDIUM_HOSPITAL_CARD,
        }[medium]
        issuer = patient.get("issuer", "") if medium == "hospital-card" else ""
        r = self.client.main_index.Resolve(
            main_index_pb2.ResolveRequest(
                medium=kind, identifier=patient["identifier"], issuer=issuer, context=ctx
            )
        )
        return {
            "main_index": r.person.main_index,
            "ehcid": "",
            "poverty": r.person.poverty_relief,
            "card_type": CARD_TYPES[medium],
            "card_number": patient["identifier"],
        }

    # ------------------------------------------------------------------ Tencent envelope
    def call_platform(self, operation: str, req: dict, request_id: str | None = None) -> dict:
        """``rsp`` of one envelope call; Refused with the platform's result name otherwise
        (``PLATFORM_RETRY`` for a transient failure: 30001, HTTP 5xx or a lost answer)."""
        import httpx

        from reference_node.platforms.tencent_envelope import RESULT_CODES

        try:
            out = self.platform.call(operation, req, request_id=request_id)
        except httpx.HTTPStatusError as exc:
            transient = exc.response.status_code >= 500
            raise Refused("PLATFORM_RETRY" if transient else "PLATFORM_HTTP", str(exc)[:200]) from None
        except httpx.TransportError as exc:
            raise Refused("PLATFORM_RETRY", f"{type(exc).__name__}: the platform did not answer") from None
        common = out.get("commonOut") or {}
        code = common.get("resultCode")
        if code == 0:
            return out.get("rsp") or {}
        if code == RESULT_CODES["SERVICE_UNAVAILABLE"]:
            raise Refused("PLATFORM_RETRY", str(common.get("errMsg", ""))[:200])
        names = {number: name for name, number in RESULT_CODES.items()}
        name = names.get(code, f"RESULT_{code}") if isinstance(code, int) else f"RESULT_{code}"
        raise Refused(name, str(common.get("errMsg", ""))[:200])

    def now_text(self) -> str:
        return dt.datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S")

    def ask_platform(self, patient: dict, scene: str) -> dict:
        medium = patient["medium"]
        if medium.startswith("ehc-qr"):
            text = patient["qr_text"]
            rsp = self.call_platform(
                "verifyQRCode",
                {
                    "qrCodeText": text,
                    "medicalStep": scene[:6],
                    "channelCode": self.site.channel,
                    "useCityCode": self.site.use_city,
                    "hospitalCode": self.site.org_code,
                    "time": self.now_text(),
                },
            )
            self.qr_of_card[rsp["healthCardId"]] = text
            # the envelope's verify answer carries no poverty-relief flag: None = not known
            return {
                "main_index": rsp["phid"],
                "ehcid": rsp["healthCardId"],
                "poverty": None,
                "card_type": "11",
            }
        if medium == "hospital-card":
            # the envelope has no lookup by hospital card: the HIS's own binding names the holder's
            # code, and the platform is asked about that code before any use is reported
            text = self.bound.get(patient["identifier"])
            if text is None:
                raise Refused("HOSPITAL_CARD_UNKNOWN", "no e-card bound to this hospital card here")
            card = self.call_platform("getHealthCardByQRCode", {"qrCodeText": text})["card"]
            return {
                "main_index": card["phid"],
                "ehcid": card["healthCardId"],
                "poverty": None,
                "card_type": CARD_TYPES[medium],
                "card_number": patient["identifier"],
            }
        # ID card, social security card (number = citizen ID number), resident card (card number =
        # the holder's ID number): registerHealthCard with the document read answers the card on
        # record, or issues one (docs/assumptions.md "Platform envelopes")
        req = {"idType": "01", "idNumber": patient["identifier"], "name": patient.get("name", "")}
        for key, field in (("gender", "sex"), ("nation", "nation"), ("birthday", "birth_date")):
            if patient.get(field):
                req[key] = patient[field]
        rsp = self.call_platform("registerHealthCard", req)
        self.qr_of_card[rsp["healthCardId"]] = rsp.get("qrCodeText", "")
        return {
            "main_index": rsp["phid"],
            "ehcid": rsp["healthCardId"],
            "poverty": None,
            "card_type": CARD_TYPES[medium],
            "card_number": patient["identifier"],
        }

    def report_request(self, record: Any) -> dict:
        """reportHISData ``req`` of a usage record (the record id travels as commonIn.requestId)."""
        req = {
            "cardType": record.card_type,
            "scene": record.scene,
            "department": record.department,
            "time": dt.datetime.strptime(record.time, "%Y%m%d%H%M%S").strftime("%Y-%m-%d %H:%M:%S"),
            "hospitalCode": record.org_code,
            "hospitalName": record.org_name,
            "useCityCode": record.use_city,
            "cardChannel": record.channel,
            "cardCostTypes": record.payment_category,
        }
        if record.ehcid:
            req["qrCodeText"] = self.qr_of_card.get(record.ehcid) or record.ehcid
        else:
            req["idCardNumber"] = record.card_number
        return {k: v for k, v in req.items() if v}

    def report_platform(self, record: Any, attempts: int = 3) -> Any:
        import time

        for attempt in range(attempts):
            try:
                rsp = self.call_platform("reportHISData", self.report_request(record), record.request_id)
                return Ack(True, bool(rsp.get("duplicate")))
            except Refused as exc:
                if exc.code != "PLATFORM_RETRY" or attempt == attempts - 1:
                    return None
                record = self.retry_record(record)
                time.sleep(0.2 * (attempt + 1))
        return None

    def context(self) -> Any:
        """The HIS's own context: the terminal's (gRPC) or its configured site (Tencent)."""
        return self.site if self.api == "tencent" else self.client.context()

    def link_hospital_card(self, who: dict, number: str) -> None:
        from reference_node.proto.ehc.node.v1 import main_index_pb2

        if self.api == "tencent":
            text = self.qr_of_card.get(who["ehcid"]) or who["ehcid"]
            self.call_platform("bindCardRelation", {"qrCodeText": text, "patid": number})
            self.bound[number] = text
            return
        ctx = self.client.context()
        self.client.main_index.LinkMedium(
            main_index_pb2.LinkMediumRequest(
                main_index=who["main_index"],
                medium=main_index_pb2.MEDIUM_HOSPITAL_CARD,
                identifier=number,
                issuer=ctx.org_code,
                card_medium="80",
                context=ctx,
            )
        )

    def scene_of(self, step: str) -> str:
        return self.scenes[step]

    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        from reference_node.proto.ehc.node.v1 import usage_pb2

        scene = self.scene_of(step)
        ctx = self.context()
        return usage_pb2.UsageRecord(
            request_id=str(uuid.uuid4()),
            time=dt.datetime.now(CST).strftime("%Y%m%d%H%M%S"),
            org_code=ctx.org_code,
            org_name=ctx.org_name,
            use_city=ctx.use_city,
            scene=scene,
            medical_step=scene[:6],
            department=DEPARTMENTS[step],
            card_type=who["card_type"],
            channel=ctx.channel,
            payment_category="0100",
            visit_type={"inpatient": "I", "checkup": "H"}.get(step, visit_type),
            terminal_id=ctx.terminal_id,
            ehcid=who["ehcid"] if who["card_type"] == "11" else "",
            card_number=who.get("card_number", ""),
        )

    def report_step(self, who: dict, step: str, visit_type: str) -> dict:
        record = self.make_record(who, step, visit_type)
        ack = self.report(record)
        return {
            "step": step,
            "scene": record.scene,
            "reported": bool(ack and (ack.accepted or ack.duplicate)),
        }

    def report(self, record: Any, attempts: int = 3) -> Any:
        """Report a card use; retry a transient failure with the same request id (idempotent)."""
        import time

        import grpc

        if self.api == "tencent":
            return self.report_platform(record, attempts)
        for attempt in range(attempts):
            try:
                return self.client.usage.Report(record, timeout=30)
            except grpc.RpcError as exc:
                transient = exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                if not transient or attempt == attempts - 1:
                    return None
                record = self.retry_record(record)
                time.sleep(0.2 * (attempt + 1))
        return None

    def retry_record(self, record: Any) -> Any:
        return record  # the same request id: the node answers duplicate if the first one arrived

    def pay_later(self, who: dict) -> bool:
        return bool(who["poverty"])


def his_class() -> type[His]:
    name = os.environ.get("EHC_HIS_MUTANT", "")
    if not name:
        return His
    from conformance_tests.mutants import mutant_objects

    return mutant_objects("his")[name].his_class()


def main() -> None:
    his = his_class()()
    for line in sys.stdin:
        if not line.strip():
            continue
        req: Any = None
        try:
            req = json.loads(line)
            if req.get("op") == "bye":
                print(json.dumps({"id": req.get("id"), "ok": True}), flush=True)
                return
            op = str(req.get("op", ""))
            handler = (
                getattr(his, op, None)
                if op
                in ("hello", "configure", "visit", "hospital_card", "service", "pay", "refund", "day_end")
                else None
            )
            answer = (
                {"ok": True, **handler(req)} if handler else {"ok": False, "error": {"code": "UNKNOWN_OP"}}
            )
        except Refused as exc:
            answer = {"ok": False, "error": {"code": exc.code, "message": str(exc)[:300]}}
        except (EhcError, KeyError, ValueError, TypeError) as exc:
            answer = {"ok": False, "error": {"code": type(exc).__name__, "message": str(exc)[:300]}}
        except Exception as exc:  # noqa: BLE001 - gRPC and other failures are answered, not raised
            answer = {"ok": False, "error": {"code": type(exc).__name__, "message": str(exc)[:300]}}
        answer["id"] = req.get("id") if isinstance(req, dict) else None
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
