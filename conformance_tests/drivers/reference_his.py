"""The kit's reference HIS as a JSON-lines driver (``python -m conformance_tests.drivers.reference_his``).

Speaks the HIS driver protocol of docs/certification.md: the kit sends patients through the steps
of the full process (seed 001: 挂号 排队 就诊 收费 检验 检查 取药 住院 体检); the HIS identifies
each patient through the node and reports the card use of every step.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from typing import Any

from ehc.errors import EhcError

PROTOCOL = "ehc-his-driver/1"
MUTANT = os.environ.get("EHC_HIS_MUTANT", "")  # self-test only: a deliberately broken HIS
# Standard department code (4 digits) and department type of each step (DIGEST §1.5).
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


class His:
    def __init__(self) -> None:
        self.client: Any = None
        self.scenes: dict[str, str] = {}
        self.stop_issue: dt.date | None = None
        self.stop_use: dt.date | None = None

    def hello(self, _req: dict) -> dict:
        return {
            "driver": {
                "name": "ehc reference HIS",
                "protocol": PROTOCOL,
                "media": ["ehc-qr-static", "ehc-qr-dynamic", "id-card", "ssc", "resident-card"],
            }
        }

    def configure(self, req: dict) -> dict:
        from reference_node.client import Credentials, NodeClient

        self.client = NodeClient(req["node"], Credentials.from_dict(req["credentials"]))
        self.scenes = dict(req["scenes"])
        cards = req.get("hospital_cards") or {}
        self.stop_issue = dt.date.fromisoformat(cards["stop_issue"]) if cards.get("stop_issue") else None
        self.stop_use = dt.date.fromisoformat(cards["stop_use"]) if cards.get("stop_use") else None
        return {}

    def _identify(self, patient: dict, scene: str) -> tuple[Any, dict | None]:
        import grpc

        from reference_node.client import error_of
        from reference_node.proto.ehc.node.v1 import main_index_pb2, verification_pb2

        ctx = self.client.context(scene=scene, medical_step=scene[:6])
        try:
            if patient["medium"].startswith("ehc-qr"):
                r = self.client.verification.VerifyQr(
                    verification_pb2.VerifyQrRequest(qr_text=patient["qr_text"], context=ctx)
                )
                return {
                    "main_index": r.person.main_index,
                    "ehcid": r.card.ehcid,
                    "poverty": r.flags.poverty_relief,
                    "card_type": "11",
                }, None
            medium = {
                "id-card": main_index_pb2.MEDIUM_CITIZEN_ID,
                "ssc": main_index_pb2.MEDIUM_SOCIAL_SECURITY_CARD,
                "resident-card": main_index_pb2.MEDIUM_RESIDENT_HEALTH_CARD,
            }[patient["medium"]]
            r = self.client.main_index.Resolve(
                main_index_pb2.ResolveRequest(medium=medium, identifier=patient["identifier"], context=ctx)
            )
            ehcid = r.cards[0].ehcid if r.cards else ""
            card_type = {"id-card": "20", "ssc": "30", "resident-card": "10"}[patient["medium"]]
            return {
                "main_index": r.person.main_index,
                "ehcid": ehcid,
                "poverty": r.person.poverty_relief,
                "card_type": card_type,
                "card_number": patient["identifier"],
            }, None
        except grpc.RpcError as exc:
            err = error_of(exc)
            return None, {"code": err.code.name, "message": err.message}

    def visit(self, req: dict) -> dict:
        from reference_node.proto.ehc.node.v1 import usage_pb2

        steps = req["steps"]
        who, error = self._identify(req["patient"], self.scenes[steps[0]])
        if error is not None:
            return {"patient": None, "error": error, "steps": []}
        done = []
        for step in steps:
            if MUTANT == "skips-queue" and step == "queue":
                continue
            scene = self.scenes["registration"] if MUTANT == "one-scene" else self.scenes[step]
            ctx = self.client.context()
            visit_type = {"inpatient": "I", "checkup": "H"}.get(step, req.get("visit_type", "O"))
            record = usage_pb2.UsageRecord(
                request_id=str(uuid.uuid4()),
                time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
                org_code=ctx.org_code,
                org_name=ctx.org_name,
                use_city=ctx.use_city,
                scene=scene,
                medical_step=scene[:6],
                department=DEPARTMENTS[step],
                card_type=who["card_type"],
                channel=ctx.channel,
                payment_category="0100",
                visit_type=visit_type,
                terminal_id=ctx.terminal_id,
                ehcid=who["ehcid"] if who["card_type"] == "11" else "",
                card_number=who.get("card_number", ""),
            )
            ack = self._report(record)
            done.append(
                {"step": step, "scene": scene, "reported": bool(ack and (ack.accepted or ack.duplicate))}
            )
        pay_later = bool(who["poverty"]) and MUTANT != "no-pay-later"
        return {"patient": {"main_index": who["main_index"]}, "pay_later": pay_later, "steps": done}

    def _report(self, record: Any, attempts: int = 3) -> Any:
        """Report a card use; retry a transient failure with the same request id (idempotent)."""
        import time

        import grpc

        for attempt in range(attempts):
            try:
                return self.client.usage.Report(record, timeout=30)
            except grpc.RpcError as exc:
                transient = exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                if not transient or attempt == attempts - 1 or MUTANT == "no-retry":
                    return None
                time.sleep(0.2 * (attempt + 1))
        return None

    def hospital_card(self, req: dict) -> dict:
        """Would the HIS issue (action=issue) or accept (action=accept) a legacy hospital card on date?"""
        day = dt.date.fromisoformat(req["date"])
        limit = self.stop_issue if req["action"] == "issue" else self.stop_use
        allowed = limit is None or day < limit or MUTANT == "keeps-hospital-cards"
        return {"allowed": allowed}


def main() -> None:
    his = His()
    for line in sys.stdin:
        if not line.strip():
            continue
        req: Any = None
        try:
            req = json.loads(line)
            if req.get("op") == "bye":
                print(json.dumps({"id": req.get("id"), "ok": True}), flush=True)
                return
            handler = (
                getattr(his, req.get("op", ""), None) if not str(req.get("op", "")).startswith("_") else None
            )
            answer = (
                {"ok": True, **handler(req)} if handler else {"ok": False, "error": {"code": "UNKNOWN_OP"}}
            )
        except (EhcError, KeyError, ValueError, TypeError) as exc:
            answer = {"ok": False, "error": {"code": type(exc).__name__, "message": str(exc)[:300]}}
        except Exception as exc:  # noqa: BLE001 - gRPC and other failures are answered, not raised
            answer = {"ok": False, "error": {"code": type(exc).__name__, "message": str(exc)[:300]}}
        answer["id"] = req.get("id") if isinstance(req, dict) else None
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
