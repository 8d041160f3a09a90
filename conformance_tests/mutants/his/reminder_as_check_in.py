"""HIS mutant reminder-as-check-in: the queue reminder is sent by the queueing system, which knows
one scene only: every reminder is reported as a queue check-in (分诊候诊签到), so the node counts
a second arrival where the patient only asked how long the wait is."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class ReminderAsCheckIn(His):
    def service_scene(self, name: str, req: dict) -> str:
        if name == "queue_reminder":
            return self.scenes["queue"]
        return super().service_scene(name, req)


class MUTANT:
    mutant_name = "reminder-as-check-in"
    description = "reports a queue reminder with the queue check-in scene of the full process"
    defect_class = "public-service scenes"
    catches = ("HIS-PUB-002",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return ReminderAsCheckIn
