"""verify-only: the READ path alone — VerifyQr of static and dynamic codes, no usage reports.

Windows, kiosks and doctors' workstations (weights 3/4/3, as in outpatient-peak) verify codes of
residents drawn uniformly from the whole seeded population (``--population``; 100k makes most
reads cache misses): 70 % static codes ``<EHCID>:1``, 30 % dynamic codes fetched while seeding
(``--set verify.dynamic=…``). Nothing is written by the actors except what verification itself
writes (a dynamic code's remaining uses), so its ratio to the echo is the verification path's.
"""

from __future__ import annotations

from load_tests.actors import Verifier


class VerifyWindow(Verifier):
    weight = 3
    role = "window"


class VerifyKiosk(Verifier):
    weight = 4
    role = "kiosk"


class VerifyDoctor(Verifier):
    weight = 3
    role = "doctor"


USER_CLASSES = [VerifyWindow, VerifyKiosk, VerifyDoctor]
