"""ID-008: area and use-city codes are GB/T 2260 codes, not any 6 digits.

Both directions are tested: codes no GB/T 2260 edition has must be refused, and real codes far
from the kit's seed regions (Guangzhou, Shanghai) must be accepted, so that a node cannot pass by
refusing every code it does not happen to know.
"""

from __future__ import annotations

import pytest

from .helpers import assert_client_error, person_request, register, verify
from .test_main_index_usage import usage

# (code, why it is no GB/T 2260 code)
NOT_GBT2260 = [
    ("999999", "province 99 does not exist"),
    ("000000", "the all-zero placeholder names no area"),
    ("990100", "a city of the non-existent province 99"),
    ("379900", "Shandong (37) has no prefecture 99"),
]
# real county-level codes outside the three seed provinces
REAL_ELSEWHERE = [("440106", "广州市天河区"), ("310115", "上海市浦东新区")]


@pytest.mark.requirement("ID-008")
@pytest.mark.parametrize(("code", "why"), NOT_GBT2260, ids=[c for c, _ in NOT_GBT2260])
def test_register_refuses_an_area_code_that_is_not_gbt2260(dut, code, why):
    _, error = dut.call("issuance", "Register", person_request(dut, area_code=code))
    assert_client_error(error, f"Register with area_code {code} ({why})")


@pytest.mark.requirement("ID-008")
@pytest.mark.parametrize(("code", "why"), NOT_GBT2260, ids=[c for c, _ in NOT_GBT2260])
def test_verify_refuses_a_use_city_that_is_not_gbt2260(dut, code, why):
    r = register(dut)
    _, error = verify(dut, r.qr_text, dut.context(use_city=code))
    assert_client_error(error, f"VerifyQr with context.use_city {code} ({why})")


@pytest.mark.requirement("ID-008")
@pytest.mark.parametrize(("code", "name"), REAL_ELSEWHERE, ids=[c for c, _ in REAL_ELSEWHERE])
def test_real_codes_outside_the_seed_regions_are_accepted(dut, code, name):
    r = register(dut, area_code=code)
    assert r.person.area_code in ("", code), f"Register kept area_code {r.person.area_code!r} for {code}"
    response, error = verify(dut, r.qr_text, dut.context(use_city=code))
    assert error is None, f"VerifyQr with context.use_city {code} ({name}), a real GB/T 2260 code: {error}"
    assert response.person.main_index == r.person.main_index


@pytest.mark.requirement("ID-008")
def test_usage_reports_check_the_use_city(dut):
    """用卡数据上报: the report's use city is the same GB/T 2260 code as the verification's."""
    r = register(dut)
    for code, why in NOT_GBT2260:
        _, error = dut.call("usage", "Report", usage(dut, r.card.ehcid, use_city=code))
        assert_client_error(error, f"usage report with use_city {code} ({why})")
    for code, name in REAL_ELSEWHERE:
        ack, error = dut.call("usage", "Report", usage(dut, r.card.ehcid, use_city=code))
        assert error is None and ack.accepted, f"usage report with use_city {code} ({name}): {error}"
