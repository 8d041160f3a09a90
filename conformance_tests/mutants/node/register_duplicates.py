"""A vendor that issues a fresh card on every registration: a person who registers again (another
hospital, a lost phone) gets a second card and EHCID instead of the one they hold."""

from __future__ import annotations

import hashlib
from typing import Any

from ._proxy import Call, VendorNode


class RegisterDuplicates(VendorNode):
    mutant_name = "register-duplicates"
    description = "creates a new card (new EHCID) when an existing person registers again"
    defect_class = "duplicate cards for one person"
    catches = ("NODE-REG-002",)

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "Register" and not response.person_created:
            fresh = hashlib.sha256(f"{response.card.ehcid}:{call.raw.hex()}".encode()).hexdigest().upper()
            response.person_created = True
            response.card.ehcid = fresh
            response.qr_text = response.qr_text.replace(response.qr_text[:64], fresh, 1)
        return response


MUTANT = RegisterDuplicates
