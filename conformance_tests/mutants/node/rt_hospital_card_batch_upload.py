"""A Jining vendor whose stop-using check for hospital cards sits in the unary Report handler: the
HIS's batch upload (ReportStream, what a HIS uses at the end of the day) goes to a bulk loader that
acknowledges every card-type-80 record — after 2021-10-01 as before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import VendorNode


class HospitalCardBatchUpload(VendorNode):
    mutant_name = "rt-hospital-card-batch-upload"
    description = "card-type-80 usage records in a ReportStream are acknowledged after the stop-using date"
    defect_class = "province rule (Jining hospital cards) enforced on the unary path only"
    catches = ("NODE-HOSP-001",)
    profile = "shandong-jining"

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        if not method.endswith("/ReportStream"):
            return self.forward_stream(method, metadata, requests)

        def bulk_loader(raw: bytes) -> bytes | None:
            record = usage_pb2.UsageRecord.FromString(raw)
            if record.card_type != "80":
                return None  # the node's own path
            ack = usage_pb2.ReportAck(request_id=record.request_id, accepted=True, usage_id=uuid.uuid4().hex)
            return ack.SerializeToString()

        return self.lockstep_stream(method, metadata, requests, bulk_loader)


MUTANT = HospitalCardBatchUpload
