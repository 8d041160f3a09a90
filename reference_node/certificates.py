"""Terminal registration tied to certification reports (检测备案, seed 000).

Only terminals that passed testing and are registered may be used. A signed report directory of
``ehc certify terminal`` (``manifest.json`` + ``manifest.sig``: SM3 digest of every file, SM2
signature over the canonical manifest) is registered for one or more terminals; the node checks
the signature against the lab keys it trusts and every file digest, then records product,
version, profile and verdict. With ``require_certified_terminals`` a terminal (role TERMINAL)
calls only while it holds a registered, unrevoked PASS certificate for the node's profile
(``NODE_TERMINAL_NOT_CERTIFIED`` otherwise). Registration and revocation are audited.

The verification is the kit's report format (conformance_tests/reportsign.py) re-implemented on
``ehc.gm``: the node does not import the conformance layer above it.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey, SM2PublicKey, sm3
from reference_node.config import fmt_time, now_cst
from reference_node.errors import (
    CERTIFICATE_INVALID,
    CERTIFICATE_NOT_PASS,
    CERTIFICATE_REVOKED,
    CERTIFICATE_UNKNOWN,
    CERTIFICATE_UNTRUSTED,
    CERTIFICATE_WRONG_PROFILE,
    CERTIFICATE_WRONG_ROLE,
    TERMINAL_UNKNOWN,
)
from reference_node.store.db import Cursor, Database

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
REPORT = "report.json"
SCHEMA = "ehc-report-manifest/1"
TRUSTED_DIR = "trusted-labs"  # DATA_DIR/trusted-labs/*.pem: lab public keys the node trusts
CREDENTIAL_CHANGE = "credential:"  # same marker as reference_node.node: drops auth caches

_TABLE = """CREATE TABLE IF NOT EXISTS terminal_certificates (
    cert_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    role TEXT NOT NULL,
    product TEXT NOT NULL,
    version TEXT NOT NULL,
    profile TEXT NOT NULL,
    verdict TEXT NOT NULL,
    signer_sm3 TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL,
    revoke_reason TEXT NOT NULL,
    PRIMARY KEY (cert_id, terminal_id)
)"""
# lab keys the operator trusts through the node's API (RegistryService.TrustLabKey), besides the
# PEM files of DATA_DIR/trusted-labs the CLI reads
_TRUSTED_TABLE = """CREATE TABLE IF NOT EXISTS trusted_lab_keys (
    key_sm3 TEXT PRIMARY KEY,
    public_key_pem TEXT NOT NULL,
    label TEXT NOT NULL,
    added_at TEXT NOT NULL
)"""
MAX_FILES = 2000  # a report directory holds a few dozen files; bound what a request may carry
_done: weakref.WeakSet[Database] = weakref.WeakSet()
_lock = threading.Lock()


def ensure_schema(db: Database) -> None:
    if db in _done:
        return
    with _lock, db.transaction() as cur:
        cur.run(db.ddl(_TABLE))
        cur.run(db.ddl(_TRUSTED_TABLE))
        _done.add(db)


@dataclass(frozen=True)
class Certificate:
    cert_id: str  # the report's report_id
    role: str
    product: str
    version: str
    profile: str
    verdict: str
    signer_sm3: str

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


def _invalid(why: str) -> EhcError:
    return EhcError(CERTIFICATE_INVALID, why)


def load_trusted_keys(paths: list[Path]) -> list[SM2PublicKey]:
    """Public keys of trusted labs from PEM files (a private key PEM gives its public half)."""
    keys = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            keys.append(
                SM2PrivateKey.from_pem(data).public_key
                if b"PRIVATE KEY" in data
                else SM2PublicKey.from_pem(data)
            )
        except (OSError, ValueError, EhcError) as exc:
            raise _invalid(f"lab key {Path(path).name}: {exc}") from None
    return keys


def _files(directory: Path) -> dict[str, Path]:
    return {
        p.relative_to(directory).as_posix(): p
        for p in directory.rglob("*")
        if p.is_file() and not (p.parent == directory and p.name in (MANIFEST, SIGNATURE))
    }


def read_report(directory: Path | str) -> dict[str, bytes]:
    """Every file of a report directory (relative POSIX path -> bytes), manifest and signature too."""
    directory = Path(directory)
    files = {rel: p.read_bytes() for rel, p in _files(directory).items()}
    for name in (MANIFEST, SIGNATURE):
        if (directory / name).is_file():
            files[name] = (directory / name).read_bytes()
    return files


def verify_report(directory: Path | str, trusted: list[SM2PublicKey]) -> Certificate:
    """``verify_files`` of a report directory."""
    return verify_files(read_report(directory), trusted)


def verify_files(files: dict[str, bytes], trusted: list[SM2PublicKey]) -> Certificate:
    """The certificate a signed report stands for. CERTIFICATE_UNTRUSTED when the signer is not a
    trusted lab key; CERTIFICATE_INVALID when the signature does not verify, any file is altered,
    missing or added, or report.json is not a certification report."""
    if not trusted:
        raise EhcError(
            CERTIFICATE_UNTRUSTED,
            "no trusted lab key: give --lab-key, put PEM files in DATA_DIR/trusted-labs or call TrustLabKey",
        )
    if len(files) > MAX_FILES:
        raise _invalid(f"more than {MAX_FILES} files")
    body, sig_text = files.get(MANIFEST), files.get(SIGNATURE)
    if body is None or sig_text is None:
        raise _invalid(f"{MANIFEST} or {SIGNATURE} is missing (an unsigned report)")
    try:
        manifest = json.loads(body)
        if manifest.get("schema") != SCHEMA or manifest.get("algorithm") != "SM2-SM3":
            raise ValueError("not an ehc-report-manifest/1 SM2-SM3 manifest")
        embedded = SM2PublicKey.from_pem(manifest["signer"]["public_key_pem"].encode("ascii"))
        signature = bytes.fromhex(sig_text.decode("ascii").strip())
        entries = manifest["files"]
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("path"), str) and type(e.get("size")) is int
            and isinstance(e.get("sm3"), str) for e in entries
        ):  # fmt: skip
            raise ValueError("files must be a list of {path, size, sm3}")
    except (ValueError, KeyError, TypeError, AttributeError, EhcError) as exc:
        raise _invalid(f"{MANIFEST} is malformed: {exc}") from None
    # the key embedded in the manifest only names the signer: it counts when it is a trusted one
    signer = next((k for k in trusted if k.hex() == embedded.hex()), None)
    if signer is None:
        raise EhcError(CERTIFICATE_UNTRUSTED, "signed by a key that is not a trusted lab key")
    if len(signature) != 64 or not signer.verify(signature, body):
        raise _invalid("manifest signature does not verify")
    listed = {e["path"]: e for e in entries}
    present = {rel: data for rel, data in files.items() if rel not in (MANIFEST, SIGNATURE)}
    for rel, entry in listed.items():
        data = present.get(rel)
        if data is None:
            raise _invalid(f"{rel} is missing")
        if len(data) != entry["size"] or sm3(data).hex() != entry["sm3"]:
            raise _invalid(f"{rel} was altered after signing")
    if extra := sorted(set(present) - set(listed)):
        raise _invalid(f"files added after signing: {', '.join(extra[:3])}")
    if REPORT not in listed:
        raise _invalid(f"{REPORT} is not part of the signed report")
    try:
        report = json.loads(present[REPORT].decode("utf-8"))
        dut = report.get("dut") or {}
        cert = Certificate(
            cert_id=str(report["report_id"]),
            role=str(report["role"]),
            product=str(dut.get("name", "")),
            version=str(dut.get("version", "")),
            profile=str(report["profile"]["name"]),
            verdict=str(report["verdict"]),
            signer_sm3=sm3(bytes.fromhex(signer.hex())).hex(),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _invalid(f"{REPORT} is not a certification report: {exc}") from None
    if not cert.cert_id or cert.verdict not in ("pass", "fail"):
        raise _invalid(f"{REPORT}: report_id and a pass/fail verdict are required")
    return cert


def check_fit(cert: Certificate, profile: str) -> None:
    """A verified report that still does not certify a terminal of this node: refused with its own
    code (a FAIL verdict, another role's report, another profile's; ``profile`` "" = any)."""
    if cert.verdict != "pass":
        raise EhcError(CERTIFICATE_NOT_PASS, f"verdict {cert.verdict}")
    if cert.role != "terminal":
        raise EhcError(CERTIFICATE_WRONG_ROLE, f"a {cert.role} report")
    if profile and cert.profile != profile:
        raise EhcError(CERTIFICATE_WRONG_PROFILE, f"report for profile {cert.profile}, node runs {profile}")


def trust_lab_key(db: Database, pem: bytes, label: str, operator: str = "cli") -> str:
    """Trust a lab's public key (PEM; audited); its SM3 fingerprint."""
    try:
        key = SM2PublicKey.from_pem(pem)
    except (ValueError, EhcError) as exc:
        raise _invalid(f"lab key: {exc}") from None
    fingerprint = sm3(bytes.fromhex(key.hex())).hex()
    ensure_schema(db)
    with db.transaction() as cur:
        cur.run("DELETE FROM trusted_lab_keys WHERE key_sm3 = ?", (fingerprint,))
        cur.run(
            "INSERT INTO trusted_lab_keys (key_sm3, public_key_pem, label, added_at) VALUES (?, ?, ?, ?)",
            (fingerprint, key.to_pem().decode("ascii"), label, _now()),
        )
        _audit(cur, "lab_key_trusted", operator, key_sm3=fingerprint, label=label)
    return fingerprint


def trusted_keys(db: Database) -> list[SM2PublicKey]:
    """Lab keys trusted through the node's API."""
    ensure_schema(db)
    return [
        SM2PublicKey.from_pem(r[0].encode("ascii"))
        for r in db.query("SELECT public_key_pem FROM trusted_lab_keys ORDER BY key_sm3", ())
    ]


def _now() -> str:
    return fmt_time(now_cst())


def _audit(cur: Cursor, action: str, operator: str, **detail: Any) -> None:
    cur.run(
        "INSERT INTO audit (time, action, main_index, detail, terminal_id, org_code) VALUES (?, ?, ?, ?, ?, ?)",
        (_now(), action, "", json.dumps(detail, ensure_ascii=False, sort_keys=True), operator, ""),
    )


def _credential_changed(cur: Cursor, terminal_id: str) -> None:
    # the node's change feed: every process drops its cached credential of this terminal
    cur.run(
        "INSERT INTO card_changes (ehcid, changed_at) VALUES (?, ?)",
        (CREDENTIAL_CHANGE + terminal_id, _now()),
    )


def register(
    db: Database,
    report: Path | str | dict[str, bytes],
    terminal_ids: list[str],
    trusted: list[SM2PublicKey],
    operator: str = "cli",
    profile: str = "",
    changed: Callable[[Cursor, str], None] | None = None,
) -> Certificate:
    """Verify the report (a directory or its files), check it certifies a terminal of ``profile``
    ("" = any) and record it for each terminal (which must be registered)."""
    cert = verify_files(report if isinstance(report, dict) else read_report(report), trusted)
    check_fit(cert, profile)
    if not terminal_ids:
        raise _invalid("name the terminal(s) the certificate is registered for")
    ensure_schema(db)
    with db.transaction() as cur:
        # a revoked certificate stays revoked: registering the same report again would undo it
        if cur.one(
            "SELECT 1 FROM terminal_certificates WHERE cert_id = ? AND revoked_at <> ''", (cert.cert_id,)
        ) is not None:  # fmt: skip
            raise EhcError(CERTIFICATE_REVOKED, f"certificate {cert.cert_id} was revoked")
        for terminal_id in terminal_ids:
            if cur.one("SELECT 1 FROM terminals WHERE terminal_id = ?", (terminal_id,)) is None:
                raise EhcError(TERMINAL_UNKNOWN, f"terminal {terminal_id} is not registered")
            cur.run(
                "DELETE FROM terminal_certificates WHERE cert_id = ? AND terminal_id = ?",
                (cert.cert_id, terminal_id),
            )
            cur.run(
                "INSERT INTO terminal_certificates (cert_id, terminal_id, report_id, role, product, version, profile, "
                "verdict, signer_sm3, registered_at, revoked_at, revoke_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')",
                (cert.cert_id, terminal_id, cert.cert_id, cert.role, cert.product, cert.version, cert.profile,
                 cert.verdict, cert.signer_sm3, _now()),
            )  # fmt: skip
            _audit(cur, "certificate_registered", operator, terminal=terminal_id, **cert.to_dict())
            (changed or _credential_changed)(cur, terminal_id)
    return cert


def revoke(
    db: Database,
    cert_id: str,
    reason: str,
    operator: str = "cli",
    changed: Callable[[Cursor, str], None] | None = None,
) -> list[str]:
    """Revoke a certificate for every terminal holding it (audited); the terminals it names.
    ``changed``: the running node's own ``credential_changed`` (drops its cache at once too)."""
    ensure_schema(db)
    with db.transaction() as cur:
        rows = cur.all(
            "SELECT terminal_id FROM terminal_certificates WHERE cert_id = ? AND revoked_at = ''", (cert_id,)
        )
        if not rows:
            raise EhcError(CERTIFICATE_UNKNOWN, "no unrevoked certificate with this id")
        cur.run(
            "UPDATE terminal_certificates SET revoked_at = ?, revoke_reason = ? WHERE cert_id = ? AND revoked_at = ''",
            (_now(), reason, cert_id),
        )
        terminals = [r[0] for r in rows]
        for terminal_id in terminals:
            _audit(cur, "certificate_revoked", operator, terminal=terminal_id, cert_id=cert_id, reason=reason)
            (changed or _credential_changed)(cur, terminal_id)
    return terminals


def holds_valid(db: Database, terminal_id: str, profile: str) -> bool:
    """A registered, unrevoked PASS certificate of a terminal, for ``profile`` ("" = any)."""
    ensure_schema(db)
    row = db.one(
        "SELECT 1 FROM terminal_certificates WHERE terminal_id = ? AND revoked_at = '' AND verdict = 'pass' "
        "AND role = 'terminal' AND (? = '' OR profile = ?)",
        (terminal_id, profile, profile),
    )
    return row is not None


def list_certificates(db: Database, terminal_id: str = "") -> list[dict[str, str]]:
    ensure_schema(db)
    rows = db.query(
        "SELECT cert_id, terminal_id, role, product, version, profile, verdict, registered_at, revoked_at, "
        "revoke_reason FROM terminal_certificates WHERE (? = '' OR terminal_id = ?) ORDER BY registered_at, cert_id",
        (terminal_id, terminal_id),
    )
    keys = ("cert_id", "terminal_id", "role", "product", "version", "profile", "verdict", "registered_at",
            "revoked_at", "revoke_reason")  # fmt: skip
    return [dict(zip(keys, r, strict=True)) for r in rows]
