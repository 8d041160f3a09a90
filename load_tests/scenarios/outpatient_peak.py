"""outpatient-peak: the Monday-morning outpatient peak of a tertiary hospital — verification-heavy.

Models 08:00–10:00, when most of a day's registrations, check-ins and first consultations
happen at once. Terminal mix (by user weight): staffed windows 3, self-service kiosks 4, doctors'
workstations 3 — kiosks outnumber windows in hospitals that retired their own patient cards. Each
presentation draws from ``actors.CODE_MIX``: 60 % dynamic codes (fetched by the patient's app
just before, so ``GetQrCode`` is part of the load), 24 % static codes, 10 % chip cards, and 6 %
invalid (3 % expired dynamic codes left open in the app, 1.5 % unknown codes, 1.5 % damaged scans)
which the node must refuse. Every successful read is followed by the HIS's usage report, so
roughly half the calls are ``Report``.
"""

from __future__ import annotations

from load_tests.actors import DoctorWorkstation, KioskTerminal, WindowTerminal


class PeakWindow(WindowTerminal):
    weight = 3


class PeakKiosk(KioskTerminal):
    weight = 4


class PeakDoctor(DoctorWorkstation):
    weight = 3


USER_CLASSES = [PeakWindow, PeakKiosk, PeakDoctor]
