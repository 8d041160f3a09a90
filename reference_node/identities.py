"""Several identities for authorisation tests: a second terminal of the same organisation and a
terminal of another organisation, created through the registry service with the admin credential.

A client file (``ehc node client`` format) holds one entry per identity::

    terminal  organisation A, terminal 1 (the node's demo terminal)
    peer      organisation A, terminal 2
    foreign   organisation B, terminal 1
    admin     the node operator

``ehc node client identities --out FILE`` writes such a file for any ehc.node.v1 node whose
registry the admin credential may use; ``ehc certify node`` needs it to check who may do what.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from reference_node.client import Credentials, NodeClient
from reference_node.proto.ehc.node.v1 import registry_pb2 as R

IDENTITY_ROLES = ("terminal", "peer", "foreign", "admin")
FOREIGN_ORG_NAME = "认证测试机构B (conformance org B, TEST-ONLY)"


def _foreign_org(org_a: str) -> str:
    """Org B's code: org A's with the last digit changed (same length and area prefix)."""
    last = org_a[-1:] or "0"
    return org_a[:-1] + ("2" if last != "2" else "3")


def _terminal_id(org: str, department: str) -> str:
    return f"{org}{department}"  # org code + 4-digit department code (registry.proto)


def provision_identities(
    target: str, terminal: Credentials, admin: Credentials, *, foreign_org: str | None = None,
    tls_root: bytes | None = None, tls: Any = None,
) -> dict[str, Credentials]:  # fmt: skip
    """Create (or refresh) org B, a second terminal of the terminal's org and a terminal of org B;
    issue their credentials. Returns role -> credentials for every role of ``IDENTITY_ROLES``.
    ``tls``: a ``reference_node.client.TlsConfig`` for a TLS node (``tls_root``: just its CA)."""
    org_b = foreign_org or _foreign_org(terminal.org_code)
    peer_id = _terminal_id(terminal.org_code, "5600")  # another standard department
    foreign_id = _terminal_id(org_b, "5500")
    with NodeClient(target, admin, tls_root=tls_root, tls=tls) as nc:
        nc.registry.UpsertOrganisation(
            R.Organisation(code=org_b, name=FOREIGN_ORG_NAME, level="2", area_code=terminal.use_city),
            timeout=30,
        )
        out = {"terminal": terminal, "admin": admin}
        for role, terminal_id, org, org_name in (
            ("peer", peer_id, terminal.org_code, terminal.org_name),
            ("foreign", foreign_id, org_b, FOREIGN_ORG_NAME),
        ):
            nc.registry.UpsertTerminal(
                R.Terminal(
                    terminal_id=terminal_id,
                    org_code=org,
                    terminal_type="01",
                    certification_status=R.CERTIFICATION_STATUS_CERTIFIED,
                    role=R.TERMINAL_ROLE_TERMINAL,
                    description="TEST-ONLY conformance identity",
                ),
                timeout=30,
            )
            cred = nc.registry.IssueCredential(R.IssueCredentialRequest(terminal_id=terminal_id), timeout=30)
            out[role] = replace(
                terminal,
                terminal_id=terminal_id,
                secret=bytes.fromhex(cred.secret_hex),
                org_code=org,
                org_name=org_name,
                department=terminal_id[-4:],
            )
    return out


def write_client_file(
    path: str | os.PathLike[str],
    target: str,
    identities: dict[str, Credentials],
    tls: dict[str, str] | None = None,
) -> Path:
    """The client file (mode 0600): target, one entry per identity and, for a TLS node, the
    ``"tls"`` object (``ca``, ``cert``, ``key`` paths, ``server_name``) of the file it came from."""
    doc: dict[str, object] = {"target": target, "note": "TEST-ONLY credentials for conformance runs"}
    doc.update({role: identities[role].to_dict() for role in IDENTITY_ROLES if role in identities})
    if tls:
        doc["tls"] = {k: str(Path(v).resolve()) if k != "server_name" else v for k, v in tls.items()}
    out = Path(path)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    return out


def missing_identities(path: str | os.PathLike[str]) -> list[str]:
    """Roles of ``IDENTITY_ROLES`` the client file lacks (all of them if it cannot be read)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return list(IDENTITY_ROLES)
    if not isinstance(doc, dict):
        return list(IDENTITY_ROLES)
    missing = []
    for role in IDENTITY_ROLES:
        entry = doc.get(role)
        try:
            Credentials.from_dict(entry)  # type: ignore[arg-type]
        except (TypeError, KeyError, ValueError):
            missing.append(role)
    return missing


def identity_problem(path: str | os.PathLike[str]) -> str | None:
    """Why the four identities of a complete client file cannot show authorisation, or None:
    they must be four different terminals, ``peer`` of the ``terminal``'s organisation and
    ``foreign`` of another one."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    ids = {role: Credentials.from_dict(doc[role]) for role in IDENTITY_ROLES}
    if len({c.terminal_id for c in ids.values()}) != len(ids):
        return "the terminal, peer, foreign and admin entries must be four different terminals"
    if ids["peer"].org_code != ids["terminal"].org_code:
        return "peer must be a terminal of the terminal's organisation"
    if ids["foreign"].org_code == ids["terminal"].org_code:
        return "foreign must be a terminal of another organisation"
    return None
