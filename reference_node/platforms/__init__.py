"""Front doors in the envelopes hospitals integrate with (Tencent open platform, provincial
platforms): thin adapters over the node's own services, switched on per node (``--api``)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ehc.errors import EhcError
    from reference_node.auth import Authenticator
    from reference_node.node import Caller

#: envelope name -> module with ``FrontDoor`` factory; ``ehc node serve --api NAME``
PLATFORMS = ("tencent", "qinghai", "sichuan")
#: where each envelope is served under the node's HTTP root (the platform's paths follow it)
BASE_PATHS = {"tencent": "", "qinghai": "/qinghai/RHCMessageServer", "sichuan": "/sichuan/gateway"}


def refusal_result(refusal: EhcError) -> tuple[str, str]:
    """How a provincial envelope answers the node's own refusal of a known credential (the rule of
    every door, ``Authenticator._refusal``): its ``NOT_CERTIFIED`` code for 检测备案, ``FORBIDDEN``
    for anything else (revoked); the message starts with the kit code's name."""
    name = "NOT_CERTIFIED" if refusal.code.name == "NODE_TERMINAL_NOT_CERTIFIED" else "FORBIDDEN"
    return name, f"{refusal.code.name}: {refusal.message}"


def over_rate(auth: Authenticator, caller: Caller, key: str) -> bool:
    """True when an envelope's caller is over its call rate: the node's per-terminal bucket of
    every door (``--rate-limit``), admin credentials exempt, checked after authentication."""
    return auth.rates.enabled and not caller.is_admin and auth.rates.take(key) > 0


def base_urls(apis: tuple[str, ...], host: str, port: int) -> dict[str, str]:
    """Base URL per served envelope, as a HIS configures it (the platform's paths follow it)."""
    return {name: f"http://{host}:{port}{BASE_PATHS[name]}" for name in apis if name in PLATFORMS}


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads_json(raw: bytes) -> Any:
    """A request body as JSON, refusing what no platform can sign or answer: bytes that are not
    UTF-8, text that is not JSON, and a ``\\uD8xx``-``\\uDFxx`` escape left without its pair (valid JSON
    text, but no UTF-8 string: hashing or echoing it fails). Raises ``ValueError`` with the reason."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("body is not UTF-8 JSON") from None
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
        raise ValueError("body is not UTF-8 JSON: a \\uD800-\\uDFFF escape without its pair")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False
