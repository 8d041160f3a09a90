"""A profile is the node's configuration (``ehc node serve --profile NAME``).

The profile files (ehc/profiles/*.toml) are the same ones the conformance suites certify against;
this module maps the keys that concern a node onto ``NodeConfig``. ``NODE_KEYS`` names each key
and the field it sets; tests/reference_node/test_node_profile_config.py shows each one changing
the node's behaviour. Any value can still be overridden (``keep``: fields set by an option).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from ehc.profiles import ProfileData, load_profile_data
from ehc.spec import areas
from reference_node.config import NodeConfig
from reference_node.errors import CONFIG_INVALID

# a profile with neither a city nor a province (national): the national platform's node, no
# city's. GB/T 2260 has no code for the whole country (000000 names no area and its terminals'
# use city would break ID-008), so it takes the province-level code of Beijing, where the national
# platform sits ([kit]; docs/assumptions.md "Node id of a profile")
NATIONAL_NODE_ID = "110000"

# profile key -> NodeConfig field it sets (dotted keys below [parameters])
NODE_KEYS: dict[str, str] = {
    "area.city": "node_id",
    "area.province": "node_id",  # when the profile names no city (a provincial node)
    "area.county": "pilot_area",  # Hengyang's 祁东县 (seed 003): all residents by end-2018
    "area.district": "pilot_area",  # Zibo's 淄川区 (seed 002): the district's own plan
    "accepted_media": "accepted_media",
    "dynamic_code.lifetime_seconds": "dynamic_lifetime_s",
    "dynamic_code.max_uses": "dynamic_max_verifications",
    "dynamic_code.refuse_reissue_while_valid": "refuse_reissue_while_valid",
    "dynamic_code.clock_skew_seconds": "clock_skew_s",
    "newborn.document_type": "newborn_document_type",
    "hospital_cards.stop_issue": "hospital_card_stop_issue",
    "hospital_cards.stop_use": "hospital_card_stop_use",
    "terminals.require_certified": "require_certified_terminals",
    "empi.key": "empi_key",
    "kpi.coverage": "supervision",
    "kpi.ecard_visit_share": "supervision",
    "kpi.physical_card_share": "supervision",
    "kpi.rating.red_marks_for_interview": "supervision",
}


def node_id_of(data: ProfileData | dict[str, Any]) -> str:
    params = data.parameters if isinstance(data, ProfileData) else data
    area = params.get("area", {}) or {}
    return str(area.get("city") or area.get("province") or NATIONAL_NODE_ID)


def pilot_area_of(data: ProfileData | dict[str, Any]) -> str:
    """The profile's pilot county or district (``area.county`` / ``area.district``), checked to be a
    GB/T 2260 county-level code inside the node's city; "" when it names none."""
    params = data.parameters if isinstance(data, ProfileData) else data
    area = params.get("area", {}) or {}
    named = [(k, str(area[k])) for k in ("county", "district") if area.get(k)]
    if not named:
        return ""
    if len(named) > 1:
        raise EhcError(CONFIG_INVALID, "area.county and area.district name the same thing: give one")
    key, code = named[0]
    city = str(area.get("city") or area.get("province") or "")
    # structural check only: a user's own city may be missing from the kit's GB/T 2260 table
    if not (len(code) == 6 and code.isdigit() and areas.level_of(code) == "county"):
        raise EhcError(CONFIG_INVALID, f"area.{key} {code[:12]!r} is not a GB/T 2260 county or district")
    inside = city[:2] if city.endswith("0000") else city[:4]  # GB/T 2260: a city's codes share 4 digits
    if not city or not code.startswith(inside):
        raise EhcError(CONFIG_INVALID, f"area.{key} {code} is not inside the node's area {city or '(none)'}")
    return code


def profile_values(data: ProfileData) -> dict[str, Any]:
    """NodeConfig field -> value for every node key the profile sets."""
    from reference_node.supervision.profile import from_profile_params

    p = data.param
    out: dict[str, Any] = {"profile": data.name, "profile_title": data.title, "node_id": node_id_of(data)}
    try:
        out["pilot_area"] = pilot_area_of(data)
    except EhcError as err:
        raise EhcError(CONFIG_INVALID, f"profile {data.name}: {err.message}") from None
    if (media := p("accepted_media")) is not None:
        out["accepted_media"] = tuple(str(m) for m in media)
        if "newborn" in (p("features") or ()) and "birth-certificate" not in out["accepted_media"]:
            # DIGEST §1.4 item 5: a newborn's card is issued and found on the birth certificate
            raise EhcError(
                CONFIG_INVALID, f"profile {data.name}: feature newborn needs medium birth-certificate"
            )
    if (lifetime := p("dynamic_code.lifetime_seconds")) is not None:
        out["dynamic_lifetime_s"] = int(lifetime)
    if (uses := p("dynamic_code.max_uses")) is not None:
        # 0 = no count limit: a new code gets the largest surplusNum a caller may ask for
        out["dynamic_max_verifications"] = int(uses) or NodeConfig.dynamic_max_verifications_limit
    if (refuse := p("dynamic_code.refuse_reissue_while_valid")) is not None:
        out["refuse_reissue_while_valid"] = bool(refuse)
    if (skew := p("dynamic_code.clock_skew_seconds")) is not None:
        out["clock_skew_s"] = int(skew)
    if (doc := p("newborn.document_type")) is not None:
        out["newborn_document_type"] = str(doc)
    out["hospital_card_stop_issue"] = str(p("hospital_cards.stop_issue", ""))
    out["hospital_card_stop_use"] = str(p("hospital_cards.stop_use", ""))
    out["empi_key"] = str(p("empi.key", ""))
    if out["empi_key"] not in ("citizen-id", ""):
        raise EhcError(
            CONFIG_INVALID, f"profile {data.name}: empi.key {out['empi_key']!r} is not 'citizen-id'"
        )
    if (certified := p("terminals.require_certified")) is not None:
        out["require_certified_terminals"] = bool(certified)
    try:
        out["supervision"] = from_profile_params(data.parameters, data.name)
    except (ValueError, TypeError) as exc:
        raise EhcError(CONFIG_INVALID, f"profile {data.name}: {exc}") from None
    return out


def profile_config(data: ProfileData, base: NodeConfig | None = None) -> NodeConfig:
    """``base`` (default: the node's defaults) with every node key of an already resolved profile
    (the conformance kit's reference node under certification, which resolved the profile itself)."""
    return replace(base or NodeConfig(), **profile_values(data))


def apply_profile(
    config: NodeConfig,
    name: str,
    keep: set[str] | frozenset[str] = frozenset(),
    directory: Path | None = None,
) -> NodeConfig:
    """``config`` with the profile's values, except the fields in ``keep`` (set by an option)."""
    data = load_profile_data(name, directory)
    values = {k: v for k, v in profile_values(data).items() if k not in keep}
    cfg = replace(config, **values)
    from reference_node.policy import parse_day

    parse_day(cfg.hospital_card_stop_issue, "hospital_cards.stop_issue")  # fail at start, not per call
    parse_day(cfg.hospital_card_stop_use, "hospital_cards.stop_use")
    return cfg
