"""A vendor whose person table stores names and addresses in GB 2312 — the AN encoding WS/T 543
gives the card, reused for the node's columns. Characters outside GB 2312, common in real names
(喆, 堃, 犇's rarer cousins, 𠮷), are stored as '?': the name the point of care gets back is not
the holder's. Names made of the common characters a test generator uses come back intact."""

from __future__ import annotations

from ._proxy import Call, VendorNode

_FIELDS = ("name", "address")


def _gb2312(text: str) -> str:
    return text.encode("gb2312", errors="replace").decode("gb2312")


class Gb2312Names(VendorNode):
    mutant_name = "rt3-gb2312-names"
    description = "names and addresses stored in GB 2312: characters outside it come back as '?'"
    defect_class = "holder data altered: a narrow character set"
    catches = ("NODE-VERIFY-001", "NODE-REG-001", "NODE-CARD-003")

    def on_request(self, call: Call) -> None:
        if call.name in ("Register", "Modify", "RegisterNewborn"):
            for field in _FIELDS:
                value = getattr(call.request, field, None)
                if isinstance(value, str) and value:
                    setattr(call.request, field, _gb2312(value))


MUTANT = Gb2312Names
