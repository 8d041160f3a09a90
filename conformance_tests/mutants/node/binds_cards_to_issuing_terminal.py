"""A vendor that over-tightens authorisation: only the terminal that registered a card may act on
it, so the pharmacy counter cannot suspend a card the registration window issued (the issuing
organisation's other terminals are refused)."""

from __future__ import annotations

from typing import Any

import grpc

from ._proxy import Call, Refusal, VendorNode
from .ignores_org_on_lifecycle import LIFECYCLE


class BindsCardsToIssuingTerminal(VendorNode):
    mutant_name = "binds-cards-to-issuing-terminal"
    description = (
        "refuses every terminal but the issuing one (the issuing organisation's other terminals too)"
    )
    defect_class = "authorisation: refuses what the policy allows"
    catches = ("NODE-AUTHZ-005",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issued_by: dict[str, str] = {}  # EHCID or main index -> terminal that registered it

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "Register":
            with self.lock:
                self.issued_by.setdefault(response.card.ehcid, call.signer)
                self.issued_by.setdefault(response.person.main_index, call.signer)
        return response

    def on_request(self, call: Call) -> None:
        if call.name not in LIFECYCLE or call.signer == self.admin.terminal_id:
            return
        ehcids = [getattr(call.request, f, "") for f in ("ehcid", "guardian_ehcid", "main_index")]
        with self.lock:
            owners = {self.issued_by.get(e) for e in ehcids if e} - {None}
        if owners and call.signer not in owners:
            raise Refusal(grpc.StatusCode.PERMISSION_DENIED, "only the issuing terminal may act on this card")


MUTANT = BindsCardsToIssuingTerminal
