"""A vendor whose registration form has no priority-group fields: the groups a window or a batch
sends (the poor, employees, family-planning households, birth registrants — seed 004 §三(一)) are
dropped on the way in, so the node never knows who belongs to which group and cannot issue or
rate them by group."""

from __future__ import annotations

from collections.abc import Iterator

from reference_node.proto.ehc.node.v1 import issuance_pb2

from ._proxy import Call, VendorNode


class DropsPriorityGroups(VendorNode):
    mutant_name = "rt-drops-priority-groups"
    description = "priority groups of a registration (unary and batch) are dropped"
    defect_class = "priority groups not recorded at issuance"
    catches = ("NODE-REG-009",)
    profile = "sichuan"

    def on_request(self, call: Call) -> None:
        if call.name == "Register" and call.request.priority_groups:
            del call.request.priority_groups[:]

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        name = method.rsplit("/", 1)[1]
        if name not in ("RegisterBatch", "RegisterBatchChunks"):
            return self.forward_stream(method, metadata, requests)

        def stripped() -> Iterator[bytes]:
            for raw in requests:
                if name == "RegisterBatch":
                    one = issuance_pb2.RegisterRequest.FromString(raw)
                    del one.priority_groups[:]
                    yield one.SerializeToString()
                else:
                    chunk = issuance_pb2.RegisterChunk.FromString(raw)
                    for record in chunk.records:
                        del record.priority_groups[:]
                    yield chunk.SerializeToString()

        return self.forward_stream(method, metadata, stripped())  # streams sign an empty body


MUTANT = DropsPriorityGroups
