"""HIS mutant rt-day-end-first-page: the day-end export reads the day's books through the HIS's
paged query and sends only the first page (10 lines) to the node."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]

PAGE = 10


class DayEndFirstPage(His):
    def day_list(self, day: str) -> list[Any]:
        return super().day_list(day)[:PAGE]


class MUTANT:
    mutant_name = "rt-day-end-first-page"
    description = "sends only the first 10 lines of its books to the day-end reconciliation"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return DayEndFirstPage
