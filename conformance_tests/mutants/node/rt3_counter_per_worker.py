"""A Jining vendor that keeps the dynamic-code use counter (surplusNum) in the memory of each of
its two worker processes; its load balancer is sticky by terminal id (CRC32 mod 2). One terminal
scanning a code sees the exact count; two terminals on different workers get the full count
each, so a code limited to N uses passes up to 2N times. The back end is asked for codes of the
largest count and the vendor answers its own surplusNum."""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import grpc

from reference_node.proto.ehc.node.v1 import common_pb2

from . import _rt3
from ._proxy import Call, VendorNode

_DEFAULT = {"uses": 5, "limit": 100}


class CounterPerWorker(VendorNode):
    mutant_name = "rt3-counter-per-worker"
    description = "dynamic-code use count kept per worker process (sticky by terminal): N uses per worker"
    defect_class = "count-limited codes: counter not shared between processes"
    catches = ("QR-DYN-005", "QR-DYN-006")
    profile = "shandong-jining"

    @staticmethod
    def backend_config(config: Any) -> Any:
        _DEFAULT["uses"] = config.dynamic_max_verifications
        _DEFAULT["limit"] = config.dynamic_max_verifications_limit
        return replace(config)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed: dict[str, int] = {}  # code text -> uses the caller asked for
        self.used: list[dict[str, int]] = [{}, {}]  # per worker: code text -> successful uses

    def _worker(self, terminal: str) -> dict[str, int]:
        return self.used[zlib.crc32(terminal.encode()) % 2]

    def on_request(self, call: Call) -> None:
        req = call.request
        if call.name == "GetQrCode" and req.code_type == common_pb2.CODE_TYPE_DYNAMIC:
            call.notes["asked"] = req.max_verifications or _DEFAULT["uses"]
            if 0 < call.notes["asked"] <= _DEFAULT["limit"]:
                req.max_verifications = _DEFAULT["limit"]
        elif call.name == "VerifyQr" and req.qr_text in self.allowed:
            with self.lock:
                used = self._worker(call.signer).get(req.qr_text, 0)
            if used >= self.allowed[req.qr_text]:
                raise _rt3.refusal(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "NODE_QR_EXHAUSTED",
                    4404,
                    "no remaining verifications",
                )

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "GetQrCode" and "asked" in call.notes and response.qr_text:
            with self.lock:
                self.allowed[response.qr_text] = call.notes["asked"]
            response.surplus_num = call.notes["asked"]
        elif call.name == "VerifyQr" and call.request.qr_text in self.allowed:
            text = call.request.qr_text
            with self.lock:
                counts = self._worker(call.signer)
                counts[text] = counts.get(text, 0) + 1
                response.surplus_num = max(0, self.allowed[text] - counts[text])
        return response


MUTANT = CounterPerWorker
