"""A vendor that fills what the terminal left out from the terminal's registration (city, channel,
medical step) instead of refusing an incomplete verification."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class DefaultsMissingContext(VendorNode):
    mutant_name = "defaults-missing-context"
    description = "fills a missing use city, channel or medical step with the terminal's defaults"
    defect_class = "incomplete verification context accepted"
    catches = ("NODE-VERIFY-002",)

    def on_request(self, call: Call) -> None:
        creds = self.caller(call.signer)
        if call.name != "VerifyQr" or creds is None:
            return
        ctx = call.request.context
        for field, default in (
            ("use_city", creds.use_city),
            ("channel", creds.channel),
            ("medical_step", creds.medical_step),
        ):
            if not getattr(ctx, field):
                setattr(ctx, field, default)


MUTANT = DefaultsMissingContext
