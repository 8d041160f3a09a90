"""Mutants of the reference node: a proxy between suite and node that makes the node, as seen from
outside, behave like a broken implementation (the node itself runs unchanged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ehc.errors import EhcError

from ..adapters.node import GrpcNode, start_reference
from ..errors import ADAPTER_UNKNOWN


class _Mutant(GrpcNode):
    mutant_name = ""
    description = ""

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"node:mutant:{self.mutant_name}", "mutant": self.description}


class AcceptsLowercase(_Mutant):
    mutant_name = "accepts-lowercase"
    description = "upper-cases QR text before verifying it"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        if method == "VerifyQr":
            request.qr_text = request.qr_text.upper()
        return super().call(service, method, request, role)


class IgnoresSuspension(_Mutant):
    mutant_name = "ignores-suspension"
    description = "verifies suspended cards (status not checked)"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        response, error = super().call(service, method, request, role)
        if method == "VerifyQr" and error and "SUSPENDED" in error["code"]:
            from reference_node.proto.ehc.node.v1 import issuance_pb2, verification_pb2

            card, _ = super().call(
                "issuance", "GetCard", issuance_pb2.GetCardRequest(ehcid=request.qr_text[:64]), "admin"
            )
            return verification_pb2.VerifyResponse(
                person=card.person, card=card.card, verification_id="x"
            ), None
        return response, error


class DefaultsMissingContext(_Mutant):
    mutant_name = "defaults-missing-context"
    description = "fills a missing medical step/channel/city with defaults instead of refusing"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        if method == "VerifyQr":
            defaults = self.context()
            for field in ("use_city", "channel", "medical_step"):
                if not getattr(request.context, field):
                    setattr(request.context, field, getattr(defaults, field))
        return super().call(service, method, request, role)


class UnknownAsInternal(_Mutant):
    mutant_name = "unknown-as-internal"
    description = "answers an unknown card with an internal server error"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        response, error = super().call(service, method, request, role)
        if error and error.get("grpc") == "NOT_FOUND":
            error = {**error, "grpc": "INTERNAL", "code": "INTERNAL"}
        return response, error


class DuplicateUsageCounted(_Mutant):
    mutant_name = "usage-not-idempotent"
    description = "counts a re-sent usage report again"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        response, error = super().call(service, method, request, role)
        if method == "Report" and response is not None and response.duplicate:
            response.duplicate, response.accepted = False, True
        return response, error


class RegisterDuplicates(_Mutant):
    mutant_name = "register-duplicates"
    description = "creates a new card when an existing person registers again"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        response, error = super().call(service, method, request, role)
        if method == "Register" and response is not None and not response.person_created:
            response.person_created = True
            response.card.ehcid = response.card.ehcid[::-1]
        return response, error


class LeaksIdInErrors(_Mutant):
    mutant_name = "leaks-id-in-errors"
    description = "echoes the submitted document number in error messages"

    def call(self, service: str, method: str, request: Any, role: str = "terminal"):
        response, error = super().call(service, method, request, role)
        if error and method == "Register":
            error = {**error, "message": f"{error['message']} ({request.document_number})"}
        if error and method == "VerifyQr":
            error = {**error, "message": f"{error['message']} ({request.qr_text})"}
        return response, error


MUTANTS: dict[str, type[_Mutant]] = {
    cls.mutant_name: cls
    for cls in (
        AcceptsLowercase,
        IgnoresSuspension,
        DefaultsMissingContext,
        UnknownAsInternal,
        DuplicateUsageCounted,
        RegisterDuplicates,
        LeaksIdInErrors,
    )
}


def make_mutant(name: str, run: Any) -> GrpcNode:
    cls: Callable[..., GrpcNode] | None = MUTANTS.get(name)
    if cls is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no node mutant {name!r}; known: {', '.join(MUTANTS)}")
    return start_reference(run, cls)
