"""HIS mutant rt3-utc-stop-date: the hospital-card gate compares the stop dates with the business
day's midnight converted to UTC (the previous calendar day): on the stop-using date itself the
legacy card is still resolved and reported, and one is still issued on the stop-issuing date."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import CST, His

__all__ = ["MUTANT"]


class UtcStopDate(His):
    def hospital_cards_allowed(self, action: str, day: dt.date) -> bool:
        midnight = dt.datetime.combine(day, dt.time(0, 0), tzinfo=CST)
        return super().hospital_cards_allowed(action, midnight.astimezone(dt.UTC).date())


class MUTANT:
    mutant_name = "rt3-utc-stop-date"
    description = "stop dates compared in UTC: hospital cards issued and accepted on the stop date itself"
    defect_class = "hospital cards"
    catches = ("HIS-014",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return UtcStopDate
