"""Test data for a run, prepared before the timed part: registered residents with their codes,
the terminals the actors play (with their credentials) and a few expired dynamic codes.

Against the echo baseline the same shape is synthesised locally (no calls). The dataset holds
full ID numbers (a chip card's number is the ID number) and test credentials: it lives in a
temporary directory, is passed to workers in memory and is never written to the run's output.
"""

from __future__ import annotations

import secrets
from typing import Any

from ehc.spec.model import Person

__all__ = ["synthetic_terminals", "echo_dataset", "ROLES", "DYNAMIC_MAX_USES", "DYNAMIC_LIFETIME_S"]

ROLES = ("window", "kiosk", "doctor", "his", "app", "admin")
_ROLE_CHANNEL = {
    "window": "0100",
    "kiosk": "0200",
    "doctor": "0300",
    "his": "0100",
    "app": "0402",
    "admin": "0100",
}
_ROLE_TYPE = {"window": "01", "kiosk": "02", "doctor": "03", "his": "99", "app": "99", "admin": "99"}
_ROLE_DEPARTMENT = {
    "window": "5500",
    "kiosk": "5600",
    "doctor": "0300",
    "his": "9900",
    "app": "9900",
    "admin": "9900",
}
HOSPITALS = (  # TEST-ONLY synthetic organisations of the seed city 济宁市
    ("LT0000001", "济宁市第一人民医院(负载测试)", "370800"),
    ("LT0000002", "济宁医学院附属医院(负载测试)", "370800"),
    ("LT0000003", "任城区人民医院(负载测试)", "370811"),
)
TERMINALS_PER_ROLE = 3
DYNAMIC_MAX_USES = 100  # verify-only: surplusNum asked for each pre-fetched dynamic code (node limit)
DYNAMIC_LIFETIME_S = 3600  # ... and its lifetime (the reference node's longest)


def synthetic_terminals() -> list[dict[str, Any]]:
    """Terminals of the synthetic hospitals: per hospital, a few of each role; ids = org + 4 digits."""
    out = []
    for org_code, org_name, city in HOSPITALS:
        n = 0
        for role in ROLES:
            for _ in range(TERMINALS_PER_ROLE):
                n += 1
                out.append(
                    {
                        "terminal_id": f"{org_code}{n:04d}",
                        "org_code": org_code,
                        "org_name": org_name,
                        "use_city": city,
                        "channel": _ROLE_CHANNEL[role],
                        "terminal_type": _ROLE_TYPE[role],
                        "department": _ROLE_DEPARTMENT[role],
                        "role": role,
                    }
                )
    return out


def person_entry(person: Person, ehcid: str, static_qr: str) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "ehcid": ehcid,
        "static_qr": static_qr,
        "card_number": person.id_number,
    }


def echo_dataset(people: list[Person], dynamic_codes: int = 0) -> dict[str, Any]:
    """The dataset's shape with made-up codes and secrets: the echo server never checks them, and
    the client does the same work (building, signing with HMAC-SM3) as against a node."""
    persons = []
    for p in people:
        ehcid = secrets.token_hex(32).upper()
        persons.append(person_entry(p, ehcid, ehcid + ":1"))
    expired = [secrets.token_hex(32).upper() + ":0:" + secrets.token_hex(16).upper() for _ in range(20)]
    dynamic = [p["ehcid"] + ":0:" + secrets.token_hex(16).upper() for p in persons[:dynamic_codes]]
    terminals = synthetic_terminals()
    for t in terminals:  # TEST-ONLY: the echo server ignores it, but the client signs as for a node
        t["secret_hex"] = secrets.token_hex(32)
    issuer = dict(terminals[0], channel="0402", role="issuer", secret_hex=secrets.token_hex(32))
    return {
        "persons": persons,
        "terminals": terminals,
        "issuer": issuer,
        "expired_codes": expired,
        "dynamic_codes": dynamic,
        "dynamic_max_uses": DYNAMIC_MAX_USES,
    }
