"""HIS mutant rt-float-yuan: the price list keeps yuan as a float, so the bill sent to the node is
``int(yuan * 100)`` — ¥0.29 becomes 28 cents (about one amount in twenty loses a cent)."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class FloatYuan(His):
    def bill_of(self, req: dict) -> dict:  # type: ignore[override]
        bill = super().bill_of(req)
        yuan = bill["amount_cents"] / 100  # the HIS's price module works in yuan (float)
        bill["amount_cents"] = int(yuan * 100)  # truncates 28.999999999999996 to 28
        return bill


class MUTANT:
    mutant_name = "rt-float-yuan"
    description = (
        "converts the bill through float yuan and truncates: a cent lost on some amounts (e.g. ¥0.29, ¥19.99)"
    )
    defect_class = "payment amount"
    catches = ("HIS-PAY-001",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return FloatYuan
