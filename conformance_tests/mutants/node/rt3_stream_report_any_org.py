"""A vendor whose batch upload path (ReportStream, what hospital front-end servers use) is run by
its "group uploader": a streamed record naming another organisation or terminal is stored under
that name (the vendor writes it with its own service account). Unary Report is checked properly,
so a hospital terminal can only report in another hospital's name through the stream."""

from __future__ import annotations

from collections.abc import Iterator

from reference_node.auth import H_TERMINAL
from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import Refusal, VendorNode

_REPORT = "/ehc.node.v1.UsageService/Report"


class StreamReportAnyOrg(VendorNode):
    mutant_name = "rt3-stream-report-any-org"
    description = "streamed usage records naming another organisation/terminal stored under that name"
    defect_class = "authorisation: identity taken from the request (stream path only)"
    catches = ("NODE-AUTHZ-004",)

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        if not method.endswith("/ReportStream"):
            return self.forward_stream(method, metadata, requests)
        creds = self.caller(dict(metadata).get(H_TERMINAL, ""))

        def decide(raw: bytes) -> bytes | None:
            record = usage_pb2.UsageRecord.FromString(raw)
            own_org = not record.org_code or creds is None or record.org_code == creds.org_code
            own_terminal = not record.terminal_id or creds is None or record.terminal_id == creds.terminal_id
            if own_org and own_terminal:
                return None
            try:
                ack = self.call_as(self.admin, _REPORT, record)
            except Refusal as refusal:
                ack = usage_pb2.ReportAck(request_id=record.request_id, error=refusal.error_info())
            return ack.SerializeToString()

        return self.lockstep_stream(method, metadata, requests, decide)


MUTANT = StreamReportAnyOrg
