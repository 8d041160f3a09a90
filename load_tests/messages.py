"""Request messages of ``ehc.node.v1`` the actors and the seeding step build (no Locust import:
the seeding step runs in the CLI's process, where gevent must never be loaded)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

from reference_node.proto.ehc.node.v1 import common_pb2, issuance_pb2

__all__ = ["china_time", "terminal_context", "register_request"]

_CST_OFFSET_S = 8 * 3600  # node times are UTC+8 ("YYYYMMDDHHMMSS")


def china_time(epoch: float | None = None) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime((epoch or time.time()) + _CST_OFFSET_S))


def terminal_context(terminal: dict[str, Any], step: str = "", scene: str = "", department: str = "") -> Any:
    return common_pb2.TerminalContext(
        terminal_id=terminal["terminal_id"],
        org_code=terminal["org_code"],
        org_name=terminal.get("org_name", ""),
        use_city=terminal.get("use_city", ""),
        channel=terminal.get("channel", ""),
        medical_step=step,
        scene=scene,
        department=department or terminal.get("department", ""),
        time=china_time(),
    )


def register_request(person: Any, mode: str, ctx: Any) -> Any:
    """A RegisterRequest from an ``ehc.spec.model.Person`` (or its dict form)."""
    p = person if isinstance(person, dict) else dataclasses.asdict(person)
    return issuance_pb2.RegisterRequest(
        application_mode=mode,
        name=p["name"],
        document_type=p.get("id_type", "01"),
        document_number=p["id_number"],
        sex=p.get("sex", ""),
        nation=p.get("nation", ""),
        birth_date=p.get("birth_date", ""),
        phone=p.get("phone", ""),
        address=p.get("address", ""),
        area_code=p.get("area_code", ""),
        poverty_relief=bool(p.get("poverty_relief", False)),
        family_id=p.get("family_id", ""),
        request_id=p.get("person_id", "") or uuid.uuid4().hex,
        context=ctx,
    )
