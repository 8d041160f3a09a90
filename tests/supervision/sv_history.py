"""The small history the KPI tests check by hand. Everything goes through the node's real gRPC API
(RegistryService, IssuanceService, UsageService, SupervisionService.SetPopulation) except the card
issue/cancel times, which are back-dated with SQL (the node stamps its own clock on issuance).

Organisations                        level  county
  H3A 370811001 任城 tertiary A       3      370811
  H3B 370811002 任城 tertiary B       3      370811
  H3C 370812001 兖州 tertiary C       3      370812
  H2  370812101 兖州 secondary        2      370812

Usage (time is terminal time, CST; scene 0101012 same-day registration, visit type O unless noted)
  #   org  medium           who  time                 note
  1   H3A  11 e-card        E1   2019-07-01 08:00:00  visit (e)
  2   H3A  11               E1   2019-07-01 10:00:00  re-scan, same day: same visit
  3   H3A  11               E1   2019-07-01 10:05:00  scene 0101052 payment: not a visit
  4   H3A  11               E2   2019-12-31 23:59:59  last second of the period: visit (e)
  5   H3A  11               E3   2020-01-01 00:00:00  after the period (CST)
  6   H3A  80 legacy card   C1   2019-07-02 09:00:00  visit (p)
  7   H3A  20 ID card       C2   2019-07-02 09:30:00  visit (other)
  8   H3A  11               E2   2019-06-30 23:59:59  before the period (CST)
  9   H3A  11               E4   2019-08-01 09:00:00  visit type I (inpatient): not outpatient
  10  H3A  11               E1   2019-07-02 08:00:00  next day: a new visit (e)
  11  H3B  80               C3   2019-09-01 09:00:00  visit (p)   (Sunday, week of 08-26)
  12  H3B  80               C4   2019-09-01 09:10:00  visit (p)
  13  H3B  11               E5   2019-09-01 09:20:00  visit (e)
  14  H3B  30 social sec.   C5   2019-09-02 09:00:00  visit (other) (Monday, week of 09-02)
  15  H2   11               E6   2019-10-10 09:00:00  scene 010101 (bare step): visit (e)
  16  H2   11               E7   2019-10-10 09:05:00  scene 0101019 check-in: visit (e)
  17  H2   11               E8   2019-10-10 09:10:00  scene 0101011 booking: not a visit
  18  H3C  80               C6   2019-11-01 09:00:00  visit (p)   (Friday, week of 10-28)
  19  H3C  20               C7   2019-11-01 09:05:00  visit (other)
  20  H3C  80               C8   2019-11-05 09:00:00  visit (p)   (Tuesday, week of 11-04)

Residents (population: 370811 → 4, 370812 → 5)
  P1 370811 card issued 2019-05-01 10:00:00
  P2 370811 card issued 2019-12-31 23:59:59   (holder at the end of 2019, CST)
  P3 370811 card issued 2020-01-01 00:00:00   (not yet, CST; yes in a UTC period ending 2019-12-31)
  P4 370811 card issued 2020-02-01 10:00:00
  P5 370812 card issued 2019-08-01 10:00:00
  P6 370812 card issued 2019-08-01 10:00:00, cancelled 2019-11-01 12:00:00
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from ehc.spec.identifiers import make_citizen_id
from reference_node.proto.ehc.node.v1 import (
    issuance_pb2,
    registry_pb2,
    supervision_pb2,
    supervision_pb2_grpc,
    usage_pb2,
)

ORGS = [
    ("370811001", "任城三级医院A(测试)", "3", "370811"),
    ("370811002", "任城三级医院B(测试)", "3", "370811"),
    ("370812001", "兖州三级医院C(测试)", "3", "370812"),
    ("370812101", "兖州二级医院(测试)", "2", "370812"),
]
H3A, H3B, H3C, H2 = (o[0] for o in ORGS)


def ehcid(label: str) -> str:
    return hashlib.sha256(f"sv-test-{label}".encode()).hexdigest().upper()


USAGE: list[tuple[int, str, str, str, str, str, str]] = [
    # (n, org, medium, who, time, scene, visit type)
    (1, H3A, "11", "E1", "20190701080000", "0101012", "O"),
    (2, H3A, "11", "E1", "20190701100000", "0101012", "O"),
    (3, H3A, "11", "E1", "20190701100500", "0101052", "O"),
    (4, H3A, "11", "E2", "20191231235959", "0101012", "O"),
    (5, H3A, "11", "E3", "20200101000000", "0101012", "O"),
    (6, H3A, "80", "C1", "20190702090000", "0101012", "O"),
    (7, H3A, "20", "C2", "20190702093000", "0101012", "O"),
    (8, H3A, "11", "E2", "20190630235959", "0101012", "O"),
    (9, H3A, "11", "E4", "20190801090000", "0101012", "I"),
    (10, H3A, "11", "E1", "20190702080000", "0101012", "O"),
    (11, H3B, "80", "C3", "20190901090000", "0101012", "O"),
    (12, H3B, "80", "C4", "20190901091000", "0101012", "O"),
    (13, H3B, "11", "E5", "20190901092000", "0101012", "O"),
    (14, H3B, "30", "C5", "20190902090000", "0101012", "O"),
    (15, H2, "11", "E6", "20191010090000", "010101", "O"),
    (16, H2, "11", "E7", "20191010090500", "0101019", "O"),
    (17, H2, "11", "E8", "20191010091000", "0101011", "O"),
    (18, H3C, "80", "C6", "20191101090000", "0101012", "O"),
    (19, H3C, "20", "C7", "20191101090500", "0101012", "O"),
    (20, H3C, "80", "C8", "20191105090000", "0101012", "O"),
]

RESIDENTS = [
    # (label, county, issued_at, cancelled_at)
    ("P1", "370811", "20190501100000", ""),
    ("P2", "370811", "20191231235959", ""),
    ("P3", "370811", "20200101000000", ""),
    ("P4", "370811", "20200201100000", ""),
    ("P5", "370812", "20190801100000", ""),
    ("P6", "370812", "20190801100000", "20191101120000"),
]


def build_hand_history(node: Any) -> dict[str, str]:
    """Write the history through the running node; returns label → EHCID of the residents."""
    cards: dict[str, str] = {}
    with node.client("admin") as c:
        for code, name, level, area in ORGS:
            c.registry.UpsertOrganisation(
                registry_pb2.Organisation(code=code, name=name, level=level, area_code=area)
            )
        for i, (label, county, _issued, cancelled) in enumerate(RESIDENTS):
            number = make_citizen_id(county, date(1980 + i, 3, 4), 10 + i, 1)
            reg = c.issuance.Register(issuance_pb2.RegisterRequest(
                application_mode="3", name=f"测试{label}", document_type="01", document_number=number, sex="1",
                nation="01", birth_date=f"{1980 + i}-03-04", area_code=county,
            ))  # fmt: skip
            cards[label] = reg.card.ehcid
            if cancelled:
                c.issuance.Cancel(issuance_pb2.CardActionRequest(ehcid=reg.card.ehcid, reason="test"))
        for n, org, medium, who, time, scene, visit_type in USAGE:
            record = usage_pb2.UsageRecord(
                request_id=f"sv-{n}", time=time, org_code=org, use_city="370800", scene=scene, card_type=medium,
                channel="0100", visit_type=visit_type,
            )  # fmt: skip
            if medium == "11":
                record.ehcid = ehcid(who)
            else:
                record.card_number = f"CARD{who}"
            ack = c.usage.Report(record)
            assert ack.accepted, ack
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        stub.SetPopulation(supervision_pb2.SetPopulationRequest(
            figures=[supervision_pb2.PopulationFigure(area_code="370811", population=4),
                     supervision_pb2.PopulationFigure(area_code="370812", population=5)],
            source="hand-computed test",
        ))  # fmt: skip
    # back-date issuance and cancellation (the node stamps its own clock)
    with node.node.db.transaction() as cur:
        for label, _county, issued, cancelled in RESIDENTS:
            cur.run(
                "UPDATE cards SET issued_at = ?, updated_at = ? WHERE ehcid = ?",
                (issued, cancelled or issued, cards[label]),
            )
    return cards
