"""The stateful test can fail: run its state machine (bounded, no shrinking) against three deliberately
broken engines and require each to be caught, by the check meant for it.

* credentials are not dropped when the current DF changes (ISO 7816-4 security status is per DF);
* an update is written straight into the file, without the journal (a tear leaves a mixed record);
* a wrong EXTERNAL AUTHENTICATE / VERIFY does not spend a try (the retry counter never runs out).

Measured (60 runs per mutant, random seeds): every mutant was caught, typically within the first
5-9 state-machine runs and never later than the 30th; the budget below (150 runs of up to 50 steps,
no shrinking) leaves a wide margin, and a catch takes about a second.
"""

from __future__ import annotations

import hmac

import pytest
import test_card_stateful as stateful  # the module, not its names: pytest must not collect the machine twice
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from card_emulators.engine import commands
from card_emulators.engine.apdu import SW, StatusError
from card_emulators.engine.card import IsoCard
from card_emulators.engine.nvm import NonVolatileMemory

BUDGET = settings(
    max_examples=150,
    stateful_step_count=50,
    phases=[Phase.generate],  # no shrinking: finding the bug is the point, and shrinking took minutes
    database=None,  # every run starts from nothing: no replay of an earlier run's failure
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def set_current_df_keeping_credentials(self: IsoCard, df) -> None:
    if df is not self.current_df:
        self.challenge = None
    self.current_df = df
    self.current_ef = None


def transaction_without_journal(self: NonVolatileMemory, writes: list[tuple[str, int, bytes]]) -> None:
    for name, offset, data in writes:
        self._program(self.regions[name], offset, data)


def spend_try_without_decrement(
    card, region: str, offset: int, expected: bytes, given: bytes, max_tries: int
):
    tries = card.nvm.regions[region][offset]
    if tries == 0:
        raise StatusError(SW.AUTH_BLOCKED)
    if not hmac.compare_digest(expected, given):
        raise StatusError(SW.WARN_TRIES | max(tries - 1, 0) & 0x0F)  # the answer a correct card gives


MUTANTS = {
    "credentials kept on DF change": (
        IsoCard,
        "set_current_df",
        set_current_df_keeping_credentials,
        "credentials:",
    ),
    "update without journal": (NonVolatileMemory, "transaction", transaction_without_journal, "torn record"),
    "retry counter not decremented": (commands, "spend_try", spend_try_without_decrement, "tries:"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_state_machine_catches_a_broken_engine(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner, attribute, broken, caught_by = MUTANTS[name]
    monkeypatch.setattr(owner, attribute, broken)
    with pytest.raises(AssertionError, match=caught_by):
        run_state_machine_as_test(stateful.CardMachine, settings=BUDGET)
