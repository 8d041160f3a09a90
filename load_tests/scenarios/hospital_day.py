"""hospital-day: whole patient journeys through one hospital, step by step.

Each user is one patient at a time walking the full process seed 001 requires to read the card:
挂号 (window) → 排队 (kiosk) → 就诊 (doctor) → 收费 (kiosk) → 检验 45 % → 检查 30 % → 取药 70 % →
住院 5 %, or a check-up (体检, 10 % of journeys). At every step the terminal verifies the medium
(same code mix as outpatient-peak; the same person keeps the same dynamic code through the day)
and the HIS reports the use with the step's scene code, so usage data per step can be checked
against the journey. Walking between points of care is a scaled pause.
"""

from __future__ import annotations

from load_tests.actors import PatientJourney


class DayPatient(PatientJourney):
    weight = 1


USER_CLASSES = [DayPatient]
