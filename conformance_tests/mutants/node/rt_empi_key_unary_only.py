"""A Zibo vendor that added the citizen-ID main-index rule (seed 002 §二(一)) to its registration
screen — the unary Register — but not to its batch importer: a batch pre-generation (RegisterBatch,
mode 4) still keys formal cards on passports and other documents."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import grpc

from reference_node.proto.ehc.node.v1 import common_pb2

from ._proxy import Call, Refusal, VendorNode


class EmpiKeyUnaryOnly(VendorNode):
    mutant_name = "rt-empi-key-unary-only"
    description = (
        "the citizen-ID main-index key is enforced on Register only; batch registration keys any document"
    )
    defect_class = "province rule (Zibo main-index key) enforced on one entry point only"
    catches = ("NODE-EMPI-006",)
    profile = "zibo"

    @staticmethod
    def backend_config(config: Any) -> Any:
        return replace(config, empi_key="")  # the importer's back end: the national build

    def on_request(self, call: Call) -> None:
        req = call.request
        if call.name == "Register" and req.document_type not in ("01", "02", "08"):
            message = "a formal card needs the citizen ID (main-index key)"
            info = common_pb2.ErrorInfo(
                code="NODE_EMPI_KEY_REQUIRED", number=4308, message=message, field="document_type"
            )
            trailers = (
                ("ehc-error-code", info.code),
                ("ehc-error-number", str(info.number)),
                ("ehc-error-bin", info.SerializeToString()),
            )
            raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, f"{info.code}: {message}", trailers)


MUTANT = EmpiKeyUnaryOnly
