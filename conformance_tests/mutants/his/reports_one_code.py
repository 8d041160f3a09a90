"""HIS mutant reports-one-code: one "report query" screen for laboratory and examination results,
reported with the laboratory code (查检验报告) whichever report the patient opened."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class ReportsOneCode(His):
    def service_scene(self, name: str, req: dict) -> str:
        if name == "report_query":
            return self.services["lab_report"]
        return super().service_scene(name, req)


class MUTANT:
    mutant_name = "reports-one-code"
    description = "reports laboratory and examination report queries alike with the laboratory-report scene"
    defect_class = "public-service scenes"
    catches = ("HIS-PUB-003",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return ReportsOneCode
