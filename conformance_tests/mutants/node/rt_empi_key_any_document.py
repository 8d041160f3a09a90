"""A vendor that sells Zibo the national build of its node: the main index takes any document as
the person's key, so a formal card is issued on a passport or an officer's card as on the citizen
ID — Zibo's rule that the citizen ID is the main-index key (seed 002 §二(一) 以居民身份证为主索引)
is simply not in the product."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ._proxy import VendorNode


class EmpiKeyAnyDocument(VendorNode):
    mutant_name = "rt-empi-key-any-document"
    description = (
        "issues formal cards keyed on any document under Zibo (citizen-ID main-index key not enforced)"
    )
    defect_class = "province rule (Zibo main-index key) missing"
    catches = ("NODE-EMPI-006",)
    profile = "zibo"

    @staticmethod
    def backend_config(config: Any) -> Any:
        return replace(config, empi_key="")


MUTANT = EmpiKeyAnyDocument
