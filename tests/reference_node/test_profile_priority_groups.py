"""Sichuan's priority groups (seed 004 §三(一)): the poor, employees, family-planning beneficiaries,
birth registrants and newborns are person attributes set at registration, each with a coverage KPI
of its own and a target in the profile (every member by end-2017), shown in the KPI report (summary
marks and a row per group) over gRPC as well. National has no group target: its report only lists
the groups it has members of, unrated."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from node_helpers import birth_certificate, citizen_id, refused, register_request

from reference_node.config import NodeConfig
from reference_node.profiles import apply_profile
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import supervision_pb2 as sp
from reference_node.proto.ehc.node.v1 import supervision_pb2_grpc
from reference_node.supervision.periods import Period
from reference_node.supervision.service import engine
from reference_node.testing import start_node

S = grpc.StatusCode
CST = dt.timezone(dt.timedelta(hours=8))
GROUPS = ("poverty", "employee", "family-planning", "birth-registration", "newborn")


@pytest.fixture
def profiled(tmp_path):
    nodes = []

    def start(name: str):
        node = start_node(tmp_path / name, config=apply_profile(NodeConfig(), name))
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.stop()


def _today() -> Period:
    today = dt.datetime.now(CST).date().isoformat()
    return Period.parse(today, today)


def _newborn(client, guardian: str) -> ip.RegisterResponse:
    return client.issuance.RegisterNewborn(
        ip.RegisterNewbornRequest(
            birth_certificate=birth_certificate(), name="新生儿", sex="2", nation="01",
            birth_date=dt.datetime.now(CST).date().isoformat(), area_code="510104",
            guardian_document_type="01", guardian_document_number=guardian,
        )
    )  # fmt: skip


def test_priority_groups_are_person_attributes(profiled):
    client = profiled("sichuan").client()
    reg = client.issuance.Register(
        register_request(citizen_id("510104"), priority_groups=["employee", "family-planning"])
    )
    assert list(reg.person.priority_groups) == ["employee", "family-planning"]
    # "poverty" is the poverty_relief flag (建档立卡), either way
    poor = client.issuance.Register(register_request(citizen_id("510104"), priority_groups=["poverty"]))
    assert poor.person.poverty_relief and list(poor.person.priority_groups) == ["poverty"]
    flagged = client.issuance.Register(register_request(citizen_id("510104"), poverty_relief=True))
    assert list(flagged.person.priority_groups) == ["poverty"]
    # a child registered on its birth certificate (出生医学证明) is a newborn
    guardian = citizen_id("510104")
    client.issuance.Register(register_request(guardian, priority_groups=["birth-registration"]))
    assert list(_newborn(client, guardian).person.priority_groups) == ["newborn"]
    # the groups are read back with the person, and Modify replaces them
    modified = client.issuance.Modify(
        ip.ModifyRequest(
            ehcid=reg.card.ehcid, set_priority_groups=True, priority_groups=["poverty", "employee"]
        )
    )
    assert list(modified.person.priority_groups) == ["poverty", "employee"] and modified.person.poverty_relief
    assert list(client.issuance.GetCard(ip.GetCardRequest(ehcid=reg.card.ehcid)).person.priority_groups) == [
        "poverty", "employee",
    ]  # fmt: skip
    refused(
        lambda: client.issuance.Register(register_request(priority_groups=["pensioners"])),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_CODE",
    )


@pytest.fixture
def sichuan_node(tmp_path, db_url):
    node = start_node(tmp_path, db_url, config=apply_profile(NodeConfig(), "sichuan"))
    yield node
    node.stop()


def test_sichuan_rates_the_coverage_of_each_of_its_five_groups(sichuan_node):
    node = sichuan_node
    client = node.client()
    members = {}
    for group in GROUPS[:4]:  # 4 members each
        members[group] = [
            client.issuance.Register(register_request(citizen_id("510104"), priority_groups=[group]))
            for _ in range(4)
        ]
    guardian = members["birth-registration"][0].person.document_number
    members["newborn"] = [_newborn(client, guardian) for _ in range(2)]
    client.issuance.Register(register_request(citizen_id("510104")))  # in no group
    # a member who lost the card (cancelled) no longer counts as covered: employees 3 of 4
    client.issuance.Cancel(ip.CardActionRequest(ehcid=members["employee"][0].card.ehcid, reason="lost"))
    report = engine(node.node).report(_today())
    rows = {r["group"]: r for r in report["groups"]}
    assert list(rows) == list(GROUPS)
    assert {g: (r["holders"], r["members"]) for g, r in rows.items()} == {
        "poverty": (4, 4), "employee": (3, 4), "family-planning": (4, 4), "birth-registration": (4, 4),
        "newborn": (2, 2),
    }  # fmt: skip
    employee = rows["employee"]
    (mark,) = employee["marks"]
    assert (mark["kpi"], mark["value"], mark["colour"]) == ("coverage_employee", 0.75, "red")
    assert (mark["target"]["threshold"], mark["target"]["deadline"]) == (1.0, "2017-12-31")
    assert rows["newborn"]["rating"] == "blue" and rows["newborn"]["name"].startswith("新生儿")
    summary = {m["kpi"] for m in report["summary"]["marks"]}
    assert summary >= {
        "coverage_poverty", "coverage_employee", "coverage_family_planning", "coverage_birth_registration",
        "coverage_newborn",
    }  # fmt: skip
    assert report["summary"]["rating"] == "red"
    # the same over the gRPC SupervisionService (the proto carries the group rows)
    with node.client("admin") as admin:
        stub = supervision_pb2_grpc.SupervisionServiceStub(admin.channel)
        today = _today().start.isoformat()
        rep = stub.Kpis(sp.KpiRequest(start_date=today, end_date=today))
        assert [(g.group, g.holders, g.members, g.rating) for g in rep.groups][:2] == [
            ("poverty", 4, 4, "blue"), ("employee", 3, 4, "red"),
        ]  # fmt: skip


def test_national_lists_groups_it_has_members_of_unrated(profiled):
    node = profiled("national")
    client = node.client()
    client.issuance.Register(register_request(citizen_id("110101"), priority_groups=["employee"]))
    report = engine(node.node).report(_today())
    ((row),) = report["groups"]
    assert (row["group"], row["members"], row["marks"], row["rating"]) == ("employee", 1, [], "unrated")
    assert not [m for m in report["summary"]["marks"] if m["kpi"].startswith("coverage_")]


def test_a_groups_size_from_its_register_is_the_denominator(sichuan_node):
    """The operator sets a group's size per area (SetPopulation with ``group``: the employers'
    lists say 8 employees in 锦江区): coverage is then holders over that size, not over the
    registered members; other areas and groups keep their own figures."""
    node = sichuan_node
    client = node.client()
    for _ in range(3):
        client.issuance.Register(register_request(citizen_id("510104"), priority_groups=["employee"]))
    client.issuance.Register(register_request(citizen_id("510105"), priority_groups=["employee"]))
    with node.client("admin") as admin:
        stub = supervision_pb2_grpc.SupervisionServiceStub(admin.channel)
        figures = [sp.PopulationFigure(area_code="510104", population=8, group="employee"),
                   sp.PopulationFigure(area_code="510104", population=1000)]  # fmt: skip
        assert stub.SetPopulation(sp.SetPopulationRequest(figures=figures, source="test")).written == 2
        with pytest.raises(grpc.RpcError) as info:
            stub.SetPopulation(
                sp.SetPopulationRequest(
                    figures=[sp.PopulationFigure(area_code="510104", population=1, group="x")]
                )
            )
        assert info.value.code() == S.INVALID_ARGUMENT
        today = _today().start.isoformat()
        rep = stub.Kpis(sp.KpiRequest(start_date=today, end_date=today, area_code="510104"))
    (employee,) = [g for g in rep.groups if g.group == "employee"]
    assert (employee.holders, employee.members, employee.population) == (3, 3, 8)
    assert employee.coverage == pytest.approx(0.375) and employee.rating == "red"
    assert rep.summary.population == 1000  # the residents' figure is its own
    # 青羊区 (510105) has no size set: its registered member is the denominator
    other = {g["group"]: g for g in engine(node.node).report(_today(), "510105")["groups"]}
    assert (other["employee"]["holders"], other["employee"]["population"], other["employee"]["coverage"]) == (
        1,
        0,
        1.0,
    )
