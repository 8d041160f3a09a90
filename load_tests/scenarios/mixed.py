"""mixed: everything a city node sees on an ordinary weekday, at realistic ratios.

Point-of-care verification dominates (windows 3, kiosks 4, doctors 3, patient journeys 4), with
a steady trickle of sign-ups (online 2, window 1), one batch feeder, and HISes uploading queued
usage records (2). The ratio of reads to registrations (~20:1 by calls) follows a mature
deployment where most residents already hold a card.
"""

from __future__ import annotations

from load_tests.actors import (
    BatchRegistration,
    DoctorWorkstation,
    HisUsageReporter,
    KioskTerminal,
    OnlineRegistration,
    PatientJourney,
    WindowRegistration,
    WindowTerminal,
)


class MixedWindow(WindowTerminal):
    weight = 3


class MixedKiosk(KioskTerminal):
    weight = 4


class MixedDoctor(DoctorWorkstation):
    weight = 3


class MixedJourney(PatientJourney):
    weight = 4


class MixedOnline(OnlineRegistration):
    weight = 2


class MixedWindowSignUp(WindowRegistration):
    weight = 1


class MixedBatch(BatchRegistration):
    fixed_count = 1


class MixedHis(HisUsageReporter):
    weight = 2


USER_CLASSES = [
    MixedBatch,
    MixedWindow,
    MixedKiosk,
    MixedDoctor,
    MixedJourney,
    MixedOnline,
    MixedWindowSignUp,
    MixedHis,
]
