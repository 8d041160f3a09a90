"""HIS mutant queries-unreported: report and record queries are "read-only lookups, not card uses":
the code is verified, the results shown, nothing reported to the node — and the answer still says
reported, because the screen that answers the kit fills that flag for every service."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class QueriesUnreported(His):
    def report_service(self, who: dict, name: str, scene: str, req: dict) -> bool:
        if name in ("report_query", "record_query"):
            return True  # claimed, never sent
        return super().report_service(who, name, scene, req)


class MUTANT:
    mutant_name = "queries-unreported"
    description = "does not report report and record queries as card uses (and claims it did)"
    defect_class = "public-service reports"
    catches = ("HIS-PUB-003", "HIS-PUB-004")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return QueriesUnreported
