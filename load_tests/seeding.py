"""Seeding a node target before the timed part, through the node's own API (ehc.node.v1).

With an admin credential: register the synthetic hospitals and their terminals, issue each
terminal an HMAC-SM3 credential, batch-register the synthetic population (mode 4) and fetch a
few dynamic codes with a 1-second lifetime that will have expired when the run starts. Works
against any node that implements the API and gives the kit an admin credential
(``--client-file client.json``); ``reference`` starts a fresh reference node and uses its own.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import grpc

from ehc.errors import EhcError
from ehc.spec.identifiers import mask_id
from load_tests.dataset import (
    DYNAMIC_LIFETIME_S,
    DYNAMIC_MAX_USES,
    HOSPITALS,
    person_entry,
    synthetic_terminals,
)
from load_tests.errors import LOAD_SEED_FAILED
from load_tests.messages import register_request

__all__ = ["prepare_node_target", "seed_node"]

BATCH = 500  # records per RegisterBatch stream while seeding
EXPIRED_CODES = 20
EXPIRED_LIFETIME_S = 1
EXPIRY_WAIT_MAX_S = 120.0  # a node tolerates clock skew on expiry (reference: 2 s; qr_codec default: 30 s)


def _admin_client(target: str, credentials_file: str) -> Any:
    from reference_node.client import NodeClient, load_client_file

    _, creds = load_client_file(credentials_file, "admin")
    return NodeClient(target, creds)


def _issuer(credentials_file: str) -> dict[str, Any]:
    """The identity that registered the population: its cards belong to this organisation, and a
    node may serve a card's dynamic codes to its issuer only (the reference node does: cards are
    organisation-owned). The residents' app (channel 0402) is the issuer's, so it signs as this."""
    from reference_node.client import load_client_file

    _, creds = load_client_file(credentials_file, "admin")
    return dict(creds.to_dict(), channel="0402", role="issuer")


def seed_node(
    target: str,
    credentials_file: str,
    people: list[Any],
    log: Any = None,
    *,
    dynamic_codes: int = 0,
    expired_codes: int = EXPIRED_CODES,
) -> dict[str, Any]:
    """Provision terminals and residents on the node at ``target``; returns the run's dataset.

    ``dynamic_codes``: also fetch that many long-lived dynamic codes (residents spread evenly over
    the population) for verify-only, so the timed part verifies without calling GetQrCode."""
    from reference_node.client import error_of
    from reference_node.proto.ehc.node.v1 import common_pb2, issuance_pb2, registry_pb2

    nc = _admin_client(target, credentials_file)
    try:
        ctx = nc.context()
        for code, name, city in HOSPITALS:
            nc.registry.UpsertOrganisation(
                registry_pb2.Organisation(code=code, name=name, level="3", area_code=city)
            )
        terminals = synthetic_terminals()
        for t in terminals:
            nc.registry.UpsertTerminal(
                registry_pb2.Terminal(
                    terminal_id=t["terminal_id"],
                    org_code=t["org_code"],
                    terminal_type=t["terminal_type"],
                    certification_status=registry_pb2.CERTIFICATION_STATUS_CERTIFIED,
                    role=registry_pb2.TERMINAL_ROLE_ADMIN
                    if t["role"] == "admin"
                    else registry_pb2.TERMINAL_ROLE_TERMINAL,
                    description="TEST-ONLY load-test terminal",
                )
            )
            cred = nc.registry.IssueCredential(
                registry_pb2.IssueCredentialRequest(terminal_id=t["terminal_id"])
            )
            t["secret_hex"] = cred.secret_hex
        persons: list[dict[str, Any]] = []
        started = time.time()
        for start in range(0, len(people), BATCH):
            chunk = people[start : start + BATCH]
            reqs = [register_request(p, "4", ctx) for p in chunk]
            for result in nc.issuance.RegisterBatch(iter(reqs), timeout=120):
                for item in result.items:
                    p = chunk[item.index]
                    if not item.ok:
                        raise EhcError(
                            LOAD_SEED_FAILED,
                            f"registering {mask_id(p.id_number)} failed: {item.error.code} {item.error.message}",
                        )
                    persons.append(person_entry(p, item.ehcid, item.ehcid + ":1"))
        if len(persons) != len(people):
            raise EhcError(LOAD_SEED_FAILED, f"node answered {len(persons)} of {len(people)} registrations")
        seeded_s = time.time() - started
        if log:
            log(f"registered {len(persons):,} residents by RegisterBatch in {seeded_s:.1f} s")
        dynamic, max_uses = _dynamic_codes(nc, persons, dynamic_codes, ctx)
        expired = []
        for entry in persons[:expired_codes]:
            r = nc.issuance.GetQrCode(
                issuance_pb2.GetQrCodeRequest(
                    ehcid=entry["ehcid"],
                    code_type=common_pb2.CODE_TYPE_DYNAMIC,
                    lifetime_seconds=EXPIRED_LIFETIME_S,
                    context=ctx,
                )
            )
            expired.append(r.qr_text)
        _await_expiry(nc, expired, ctx)
        if log:
            log(f"seeded {len(persons)} residents, {len(terminals)} terminals, {len(expired)} expired codes")
        return {
            "persons": persons,
            "terminals": terminals,
            "issuer": _issuer(credentials_file),
            "expired_codes": expired,
            "dynamic_codes": dynamic,
            "dynamic_max_uses": max_uses,
            "seed_seconds": round(seeded_s, 2),
        }
    except grpc.RpcError as err:
        raise EhcError(LOAD_SEED_FAILED, f"seeding failed: {error_of(err)}") from None
    finally:
        nc.close()


def _dynamic_codes(nc: Any, persons: list[dict[str, Any]], count: int, ctx: Any) -> tuple[list[str], int]:
    """``count`` dynamic codes of residents spread over the population; returns them and the
    fewest verifications any of them allows (the node may grant less than asked)."""
    from reference_node.proto.ehc.node.v1 import common_pb2, issuance_pb2

    if count <= 0 or not persons:
        return [], 0
    step = max(1, len(persons) // count)
    codes, uses = [], DYNAMIC_MAX_USES
    for entry in persons[::step][:count]:
        r = nc.issuance.GetQrCode(
            issuance_pb2.GetQrCodeRequest(
                ehcid=entry["ehcid"],
                code_type=common_pb2.CODE_TYPE_DYNAMIC,
                lifetime_seconds=DYNAMIC_LIFETIME_S,
                max_verifications=DYNAMIC_MAX_USES,
                context=ctx,
            )
        )
        codes.append(r.qr_text)
        if r.surplus_num > 0:
            uses = min(uses, r.surplus_num)
    return codes, uses


def _await_expiry(nc: Any, codes: list[str], ctx: Any) -> None:
    """Wait until the node itself refuses every short-lived code as expired: how long that takes
    depends on its clock-skew tolerance, which the kit cannot know for a foreign node."""
    from reference_node.client import error_of
    from reference_node.proto.ehc.node.v1 import verification_pb2

    probe_ctx = type(ctx)()
    probe_ctx.CopyFrom(ctx)
    probe_ctx.use_city = probe_ctx.use_city or HOSPITALS[0][2]
    probe_ctx.channel = probe_ctx.channel or "0100"
    probe_ctx.medical_step = probe_ctx.medical_step or "010101"
    deadline = time.time() + EXPIRY_WAIT_MAX_S
    pending = list(codes)
    if not pending:
        return
    time.sleep(EXPIRED_LIFETIME_S)
    while pending:
        still = []
        for text in pending:
            try:
                nc.verification.VerifyQr(
                    verification_pb2.VerifyQrRequest(qr_text=text, context=probe_ctx), timeout=10
                )
                still.append(text)  # accepted: not expired yet (skew tolerance)
            except grpc.RpcError as err:
                if "EXPIRED" not in error_of(err).code.name:
                    raise
        pending = still
        if pending:
            if time.time() > deadline:
                raise EhcError(
                    LOAD_SEED_FAILED,
                    f"{len(pending)} codes still accepted {EXPIRY_WAIT_MAX_S:g} s after expiry",
                )
            time.sleep(1.0)


DYNAMIC_POOL = 1000  # verify-only: dynamic codes fetched while seeding (at most one per resident)


def _seed_kwargs(opts: Any) -> dict[str, int]:
    """verify-only needs dynamic codes and no expired ones; report-only needs neither."""
    scenario = getattr(opts, "scenario", "")
    if scenario == "verify-only":
        return {"dynamic_codes": min(DYNAMIC_POOL, getattr(opts, "population", 0)), "expired_codes": 0}
    if scenario == "report-only":
        return {"expired_codes": 0}
    return {}


def prepare_node_target(
    opts: Any, target: Any, people: list[Any], stack: ExitStack
) -> tuple[str, dict[str, Any]]:
    """Start the reference node when asked, then seed it; returns (address, dataset)."""
    from load_tests.targets import ReferenceNodeProcess

    log = None if opts.quiet else (lambda m: print(m, flush=True))
    if target.kind == "reference":
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="ehc-load-node-"))
        node = stack.enter_context(
            ReferenceNodeProcess(
                data_dir, db_url=getattr(opts, "db_url", None), http=bool(getattr(opts, "http", False))
            )
        )
        dataset = seed_node(node.address, node.client_file, people, log, **_seed_kwargs(opts))
        dataset["http_url"] = node.http_url
        return node.address, dataset
    creds = getattr(opts, "credentials", None)
    if not creds or not Path(creds).exists():
        raise EhcError(
            LOAD_SEED_FAILED, "a HOST:PORT target needs --client-file FILE with an admin credential"
        )
    dataset = seed_node(target.address, creds, people, log, **_seed_kwargs(opts))
    dataset["http_url"] = getattr(opts, "http_url", None)
    return target.address, dataset
