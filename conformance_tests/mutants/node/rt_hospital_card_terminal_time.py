"""A Jining vendor whose node judges the hospital-card dates on the time the terminal puts in the
call (TerminalContext.time) instead of its own clock: a HIS with a wrong clock (or one set back
on purpose) keeps using legacy hospital cards after 2021-10-01. The vendor keeps its own table of
the hospital cards it linked and answers from it when the time the terminal gives is before the
stop-using date."""

from __future__ import annotations

from datetime import date
from typing import Any

from reference_node.proto.ehc.node.v1 import common_pb2, main_index_pb2

from ._proxy import Call, Refusal, VendorNode

_HOSPITAL_CARD = main_index_pb2.MEDIUM_HOSPITAL_CARD
_REFUSED = "NODE_HOSPITAL_CARD_REFUSED"


class HospitalCardTerminalTime(VendorNode):
    mutant_name = "rt-hospital-card-terminal-time"
    description = "judges the hospital-card stop-using date on the terminal's context time, not its own clock"
    defect_class = "province rule (Jining hospital cards) judged on a time the caller supplies"
    catches = ("NODE-HOSP-001",)
    profile = "shandong-jining"
    stop_use = date(2021, 10, 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cards: dict[tuple[str, str], str] = {}  # (issuer, identifier) -> main index

    def on_response(self, call: Call, response: Any) -> Any:
        req = call.request
        if call.name == "LinkMedium" and req.medium == _HOSPITAL_CARD and response.main_index:
            with self.lock:
                self.cards[(req.issuer, req.identifier)] = response.main_index
        return response

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        req = call.request
        if call.name == "Resolve" and refusal.kit_code == _REFUSED and req.medium == _HOSPITAL_CARD:
            told = req.context.time[:8]
            main_index = self.cards.get((req.issuer, req.identifier))
            before_stop = (
                len(told) == 8
                and told.isdigit()
                and date(int(told[:4]), int(told[4:6]), int(told[6:8])) < self.stop_use
            )
            if main_index and before_stop:
                return main_index_pb2.ResolveResponse(person=common_pb2.Person(main_index=main_index))
        raise refusal


MUTANT = HospitalCardTerminalTime
