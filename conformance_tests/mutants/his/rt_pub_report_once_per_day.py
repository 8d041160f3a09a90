"""HIS mutant rt-pub-report-once-per-day: report and record queries are "browsing": only the first
query of a patient per day is reported as a card use (the vendor counts daily active patients)."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]

QUERIES = ("report_query", "record_query")


class PubReportOncePerDay(His):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()

    def report_service(self, who: dict, name: str, scene: str, req: dict) -> bool:
        if name not in QUERIES:
            return super().report_service(who, name, scene, req)
        key = (who["main_index"], dt.date.today().isoformat())
        if key in self.seen:
            return True  # "already counted today"
        self.seen.add(key)
        return super().report_service(who, name, scene, req)


class MUTANT:
    mutant_name = "rt-pub-report-once-per-day"
    description = (
        "reports only a patient's first report/record query of the day; later queries claimed reported"
    )
    defect_class = "public services"
    catches = ("HIS-PUB-003", "HIS-PUB-004")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PubReportOncePerDay
