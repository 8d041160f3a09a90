"""HIS mutant services-verified-as-registration: the code is verified with the terminal's
registration step (010101) for every public service — the verification call is shared with the
registration desk — so the node's verification log shows a registration where a report was read
or a doctor signed."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His


class ServicesVerifiedAsRegistration(His):
    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        return super().identify(patient, self.scenes["registration"], day)


class MUTANT:
    mutant_name = "services-verified-as-registration"
    description = (
        "verifies the code with the registration step for every service instead of the service's step"
    )
    defect_class = "public-service identification"
    catches = ("HIS-PUB-002", "HIS-PUB-003", "HIS-PUB-004", "HIS-PUB-005")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return ServicesVerifiedAsRegistration
