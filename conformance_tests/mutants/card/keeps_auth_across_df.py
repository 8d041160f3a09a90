"""The security state is one global set: selecting another DF does not drop the credentials of the
DF that was left, so leaving DDF1 for the MF and coming back still finds EF06 open."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _set_current_df(card: Any, df: Any) -> None:
    if df is not card.current_df:
        card.challenge = None
    card.current_df = df
    card.current_ef = None


class KeepsAuthAcrossDf(CardMutant):
    mutant_name = "keeps-auth-across-df"
    description = "security state survives SELECT of another DF (credentials never scoped to their DF)"
    defect_class = "security state lifetime"
    catches = ("CARD-AUTH-009",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        # patched on this one card: the card class stays the reference's
        self.card.set_current_df = lambda df: _set_current_df(self.card, df)  # type: ignore[method-assign]


MUTANT = KeepsAuthAcrossDf
