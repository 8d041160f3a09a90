"""A vendor whose area check is the field's format: ``^[0-9]{6}$`` for a holder's ``area_code``
and a terminal's ``use_city``. Anything with six digits is stored — 999999, 000000, a city of a
province that does not exist — so coverage and usage statistics fill with areas nobody lives in.
Its real-looking codes (the test generator's 370811, the terminals' own city) pass as before.

Played in front of the reference node: a 6-digit code the reference would refuse is handed on as
the calling terminal's registered city, and the answer echoes the code the vendor stored."""

from __future__ import annotations

import re
from typing import Any

from ._proxy import Call, VendorNode

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def _vendor_ok(code: str) -> bool:
    return bool(_SIX_DIGITS.fullmatch(code))


def _reference_ok(code: str) -> bool:
    from ehc.spec import areas

    try:
        areas.plausible_area(code)
    except Exception:  # noqa: BLE001 - any refusal: the vendor's node would not have asked
        return False
    return True


class AreaDigitsOnly(VendorNode):
    mutant_name = "rt3-area-digits-only"
    description = "area_code / use_city checked as six digits only (999999, 000000, 990100 accepted)"
    defect_class = "code table not checked: any 6-digit area stored"
    catches = ("ID-008",)

    def on_request(self, call: Call) -> None:
        creds = self.caller(call.signer)
        stand_in = creds.use_city if creds is not None else ""
        if not stand_in:
            return
        request = call.request
        if hasattr(request, "area_code"):
            code = request.area_code
            if code and _vendor_ok(code) and not _reference_ok(code):
                call.notes["area_code"] = code
                request.area_code = stand_in
        if hasattr(request, "use_city"):  # a usage report (用卡数据上报)
            code = request.use_city
            if code and _vendor_ok(code) and not _reference_ok(code):
                request.use_city = stand_in
        context = getattr(request, "context", None)
        if context is not None and hasattr(context, "use_city"):
            code = context.use_city
            if code and _vendor_ok(code) and not _reference_ok(code):
                context.use_city = stand_in

    def on_response(self, call: Call, response: Any) -> Any:
        stored = call.notes.get("area_code")
        if stored and hasattr(response, "person") and response.person.area_code:
            response.person.area_code = stored
        return response


MUTANT = AreaDigitsOnly
