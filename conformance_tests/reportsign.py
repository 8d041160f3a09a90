"""Sign and verify a report directory offline: SM3 manifest of every file + SM2 signature.

``manifest.json`` lists every file of the directory (relative path, size, SM3) and the signer's
public key; it is written in canonical JSON (sorted keys, no spaces, UTF-8) and ``manifest.sig``
holds the hex of the SM2 signature (r‖s, signer id ``1234567812345678``) over its exact bytes.
Verification recomputes every digest and names each altered, missing or added file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey, SM2PublicKey, sm3

from .errors import LAB_KEY_INVALID, REPORT_INVALID

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SCHEMA = "ehc-report-manifest/1"
TEST_ONLY_LABEL = "TEST-ONLY lab key generated for this run (not a certification signature)"


def canonical_json(value: Any) -> bytes:
    """The one byte form signed: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _files(directory: Path) -> list[Path]:
    """Every file below ``directory`` except the top-level manifest and its signature."""
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not (p.parent == directory and p.name in (MANIFEST, SIGNATURE))
    )


def load_lab_key(path: Path | str | None) -> tuple[SM2PrivateKey, str, bool]:
    """(key, label, test_only): the lab's PEM key, or a fresh TEST-ONLY key when none is given."""
    if path is None:
        return SM2PrivateKey.generate(), TEST_ONLY_LABEL, True
    try:
        key = SM2PrivateKey.from_pem(Path(path).read_bytes())
    except (OSError, ValueError, EhcError) as exc:
        raise EhcError(LAB_KEY_INVALID, f"{Path(path).name}: {exc}") from None
    return key, f"lab key {Path(path).name}", False


def load_public_key(path: Path | str) -> SM2PublicKey:
    try:
        data = Path(path).read_bytes()
        if b"PRIVATE KEY" in data:
            return SM2PrivateKey.from_pem(data).public_key
        return SM2PublicKey.from_pem(data)
    except (OSError, ValueError, EhcError) as exc:
        raise EhcError(LAB_KEY_INVALID, f"{Path(path).name}: {exc}") from None


def sign_directory(directory: Path | str, key: SM2PrivateKey, label: str, test_only: bool) -> dict[str, Any]:
    """Write manifest.json and manifest.sig for every file now in ``directory``."""
    directory = Path(directory)
    entries = []
    for path in _files(directory):
        data = path.read_bytes()
        entries.append(
            {"path": path.relative_to(directory).as_posix(), "size": len(data), "sm3": sm3(data).hex()}
        )
    manifest = {
        "schema": SCHEMA,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "algorithm": "SM2-SM3",
        "signer_id": "1234567812345678",
        "signer": {
            "label": label,
            "test_only": test_only,
            "public_key_pem": key.public_key.to_pem().decode("ascii"),
            "public_key_sm3": sm3(bytes.fromhex(key.public_key.hex())).hex(),
        },
        "files": entries,
    }
    body = canonical_json(manifest)
    (directory / MANIFEST).write_bytes(body)
    (directory / SIGNATURE).write_text(key.sign(body).hex().upper() + "\n", encoding="ascii")
    return manifest


@dataclass
class VerifyResult:
    signature_ok: bool = False
    key_trusted: bool = False
    test_only: bool = False
    signer: str = ""
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return self.signature_ok and not (self.altered or self.missing or self.added)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "signature_ok": self.signature_ok,
            "key_trusted": self.key_trusted,
            "test_only": self.test_only,
            "signer": self.signer,
            "files": self.files,
            "altered": self.altered,
            "missing": self.missing,
            "added": self.added,
        }


def _entry_ok(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and type(entry.get("size")) is int
        and isinstance(entry.get("sm3"), str)
    )


def verify_directory(directory: Path | str, trusted: SM2PublicKey | None = None) -> VerifyResult:
    """Check the signature and every digest. With ``trusted`` the signer must be that key."""
    directory = Path(directory)
    mpath, spath = directory / MANIFEST, directory / SIGNATURE
    if not mpath.is_file() or not spath.is_file():
        raise EhcError(REPORT_INVALID, f"{directory.name}: {MANIFEST} or {SIGNATURE} is missing")
    body = mpath.read_bytes()
    result = VerifyResult()
    try:
        manifest = json.loads(body)
        embedded = SM2PublicKey.from_pem(manifest["signer"]["public_key_pem"].encode("ascii"))
        signature = bytes.fromhex(spath.read_text(encoding="ascii").strip())
        files = manifest["files"]
        # REL-F13: every entry is checked before use, signed or not (a tampered manifest is refused,
        # never a KeyError)
        if not isinstance(files, list) or not all(_entry_ok(e) for e in files):
            raise ValueError("files must be a list of {path, size, sm3}")
        if not isinstance(manifest["signer"], dict):
            raise ValueError("signer must be an object")
    except (ValueError, KeyError, TypeError, EhcError) as exc:
        raise EhcError(REPORT_INVALID, f"{MANIFEST} is malformed: {exc}") from None
    key = trusted or embedded
    result.key_trusted = trusted is not None and trusted.hex() == embedded.hex()
    result.test_only = bool(manifest["signer"].get("test_only"))
    result.signer = str(manifest["signer"].get("label", ""))
    result.signature_ok = len(signature) == 64 and key.verify(signature, body)
    if trusted is not None and not result.key_trusted:
        result.signature_ok = False
    listed = {}
    for entry in files:
        listed[entry["path"]] = entry
    result.files = len(listed)
    present = {p.relative_to(directory).as_posix(): p for p in _files(directory)}
    for rel, entry in sorted(listed.items()):
        path = present.get(rel)
        if path is None:
            result.missing.append(rel)
            continue
        data = path.read_bytes()
        if len(data) != entry["size"] or sm3(data).hex() != entry["sm3"]:
            result.altered.append(rel)
    result.added = sorted(set(present) - set(listed))
    return result
