"""HIS mutant booking-as-same-day: the booking module reuses the registration desk's code path, so a
time-slot booking (预约挂号) is reported with the same-day registration scene (当日挂号)."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class BookingAsSameDay(His):
    def service_scene(self, name: str, req: dict) -> str:
        if name == "booking":
            return self.scenes["registration"]  # "a booking is a registration"
        return super().service_scene(name, req)


class MUTANT:
    mutant_name = "booking-as-same-day"
    description = "reports a time-slot booking with the same-day registration scene of the full process"
    defect_class = "public-service scenes"
    catches = ("HIS-PUB-001",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return BookingAsSameDay
