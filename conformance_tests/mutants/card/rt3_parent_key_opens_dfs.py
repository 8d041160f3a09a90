"""A card OS with one "reader authenticated" flag per application: the DDF1 read key (RK_DDF1)
opens the DF01, DF02 and DF03 files as well, whose own read keys (RK_DF0x, 84) are never needed.
A terminal that authenticates once at DDF1 then reads addresses, contacts and clinical data."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands

from ._base import CardMutant, all_dfs


def _with_application_flag(original: Any) -> Any:
    def handler(card: Any, cmd: Any) -> Any:
        saved = set(card.security)
        if any(kind == "auth" and ref == 0x04 for _, kind, ref in saved):
            # the vendor's flag: any DF below DDF1 counts as authenticated with its read key
            for df in all_dfs(card.mf):
                if len(df.path) > 2:
                    card.security.add((df.path, "auth", 0x84))
        try:
            return original(card, cmd)
        finally:
            card.security = saved

    return handler


class ParentKeyOpensDfs(CardMutant):
    mutant_name = "rt3-parent-key-opens-dfs"
    description = "RK_DDF1 (04) opens every DF01..DF03 file: the DF read keys (84) are never checked"
    defect_class = "access control, key scope"
    catches = ("CARD-FILE-009", "CARD-FILE-010")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xB2, _with_application_flag(commands.read_record))
        self.replace_handler(0xB0, _with_application_flag(commands.read_binary))


MUTANT = ParentKeyOpensDfs
