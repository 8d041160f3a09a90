"""HIS mutant queries-ignore-suspension: for lookups (queue reminder, report and record queries) a
refusal by the node is taken as "the card cannot be used for care", not "the patient may not see
the records": the EHCID is taken out of the code text and the results are shown and the use
reported anyway — a suspended (lost) card still opens the holder's records."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import CST, His, Refused

LOOKUPS = ("queue_reminder", "report_query", "record_query")


class QueriesIgnoreSuspension(His):
    def service(self, req: dict) -> dict:
        name = req.get("service")
        patient = req.get("patient") or {}
        if name not in LOOKUPS or not str(patient.get("medium", "")).startswith("ehc-qr"):
            return super().service(req)
        scene = self.service_scene(name, req)
        try:
            who = self.identify(patient, scene, dt.datetime.now(CST).date())
        except Refused:
            # "only care needs a valid card; a lookup harms no one"
            who = {
                "main_index": "",
                "ehcid": patient["qr_text"].split(":")[0],
                "poverty": False,
                "card_type": "11",
            }
        reported = self.report_service(who, name, scene, req)
        return {"patient": None, "service": name, "scene": scene, "reported": reported,
                **self.service_result(name, req, who)}  # fmt: skip


class MUTANT:
    mutant_name = "queries-ignore-suspension"
    description = (
        "shows reminders, reports and records for a code the node refused (suspended, cancelled card), "
        "with the EHCID taken from the code text"
    )
    defect_class = "node refusal"
    catches = ("HIS-PUB-006",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return QueriesIgnoreSuspension
