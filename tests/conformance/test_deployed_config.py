"""deployed_config: the reference node as a province deploys it, the one source of the rules the
node suite, its province-rule tests and `ehc demo` turn on around the per-visit defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance_tests.adapters.node import (
    DEPLOYED_RULES,
    deployed_config,
    reference_config,
    with_deployed_rules,
)
from conformance_tests.catalogue import load_catalogue
from conformance_tests.profiles import load_profile
from ehc.profiles import load_profile_data
from reference_node.config import NodeConfig
from reference_node.profiles import profile_values

PROFILES = ("national", "shandong-jining", "zibo", "hunan-hengyang", "sichuan")


@pytest.mark.parametrize("name", PROFILES)
def test_deployed_config_is_the_served_node_with_the_reference_skew(name):
    profile = load_profile(name, load_catalogue())
    deployed, served = deployed_config(profile), profile_values(load_profile_data(name))
    # every key `ehc node serve --profile` sets, the province rules included; the clock skew is the
    # reference's declared one (docs/certification.md §3)
    assert {k: v for k, v in served.items() if k != "clock_skew_s"} == {
        k: getattr(deployed, k) for k in served if k != "clock_skew_s"
    }
    # and otherwise the reference's configuration
    base = reference_config(profile)
    assert replace(deployed, **{k: getattr(base, k) for k in DEPLOYED_RULES}) == base


def test_jining_is_deployed_with_its_dates_and_certified_terminals_only():
    jining = load_profile("shandong-jining", load_catalogue())
    deployed, base = deployed_config(jining), reference_config(jining)
    assert (deployed.hospital_card_stop_issue, deployed.hospital_card_stop_use) == (
        "2021-06-01",
        "2021-10-01",
    )
    assert deployed.require_certified_terminals and not base.require_certified_terminals
    assert base.hospital_card_stop_issue == base.hospital_card_stop_use == ""
    national = deployed_config(load_profile("national", load_catalogue()))
    assert not national.require_certified_terminals and national.hospital_card_stop_use == ""


def test_with_deployed_rules_changes_only_the_rules_asked_for():
    jining = load_profile("shandong-jining", load_catalogue())
    running = NodeConfig(rate_limit_per_s=7, apis=("tencent",))
    dates = with_deployed_rules(running, jining, ("hospital_card_stop_use",))
    assert dates == replace(running, hospital_card_stop_use="2021-10-01")
    assert with_deployed_rules(running, jining) == replace(
        running,
        hospital_card_stop_issue="2021-06-01",
        hospital_card_stop_use="2021-10-01",
        require_certified_terminals=True,
    )
