"""HIS mutant rt3-window-cached-index: the registration window asks the node on every visit (the
call is in the transcript) but keeps the first answer of the day for the window: the second patient
at the same window is booked and reported under the first patient's main index and card."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class WindowCachedIndex(His):
    def __init__(self) -> None:
        super().__init__()
        self.window: dict[str, dict] = {}  # medium -> the first answer of the day ("the window's patient")

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        who = super().identify(patient, scene, day)  # asked, as HIS-001 wants
        return self.window.setdefault(f"{day}/{patient['medium']}", who)


class MUTANT:
    mutant_name = "rt3-window-cached-index"
    description = "asks the node every visit but keeps the window's first answer of the day: the second patient is reported as the first"
    defect_class = "identification"
    catches = ("HIS-001",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return WindowCachedIndex
