"""The reference HIS in Tencent mode against a real served node (``ehc node serve --http-port 0
--api tencent``, a subprocess): a full visit through the HealthCardOpenAPI envelope, reports
checked in the node's own records; the kit's envelope proxy records and loses answers; a Tencent
mutant's defect shows at the node."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from conformance_tests.catalogue import default_catalogue
from conformance_tests.envelopeproxy import EnvelopeProxy
from conformance_tests.profiles import load_profile
from reference_node.proto.ehc.node.v1 import issuance_pb2, usage_pb2

REPORT = "/ehc.node.v1.UsageService/Report"
STEPS = [
    "registration",
    "queue",
    "consultation",
    "payment",
    "lab",
    "imaging",
    "pharmacy",
    "inpatient",
    "checkup",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from reference_node.testing import start_node

    node = start_node(
        tmp_path_factory.mktemp("his-tencent"), subprocess=True, http=True, extra_args=["--api", "tencent"]
    )
    yield node
    node.stop()


class Driver:
    """The reference HIS driver process (JSON lines), configured for the Tencent envelope."""

    def __init__(self, base_url: str, creds: Any, mutant: str = "") -> None:
        import os

        env = {**os.environ, **({"EHC_HIS_MUTANT": mutant} if mutant else {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "conformance_tests.drivers.reference_his"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env,
        )  # fmt: skip
        self.n = 0
        assert "tencent" in self.request("hello")["driver"]["apis"]
        scenes = load_profile("national", default_catalogue()).param("scenes")
        answer = self.request(
            "configure", api="tencent", base_url=base_url, app_id=creds.terminal_id,
            app_secret=creds.secret.hex(), hospital_id=creds.org_code, use_city=creds.use_city,
            channel=creds.channel, scenes=scenes, hospital_cards={},
        )  # fmt: skip
        assert answer["ok"], answer

    def request(self, op: str, **fields: Any) -> dict:
        self.n += 1
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"id": self.n, "op": op, **fields}, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["id"] == self.n
        return answer

    def close(self) -> None:
        self.request("bye")
        self.proc.wait(10)


def _register(served: Any, number: str) -> Any:
    with served.client() as client:
        return client.issuance.Register(
            issuance_pb2.RegisterRequest(
                application_mode="3", name="测试居民", document_type="01", document_number=number,
                sex="1", nation="01", birth_date=f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                area_code=number[:6], context=client.context(),
            )
        )  # fmt: skip


def _usage(served: Any, ehcid: str) -> list:
    with served.client("admin") as admin:
        return list(admin.usage.QueryUsage(usage_pb2.QueryUsageRequest(ehcid=ehcid, limit=100)).records)


def _id_number() -> str:
    from conformance_tests.suites.node.helpers import new_id_number

    return new_id_number()


def test_a_full_visit_through_the_envelope_lands_at_the_served_node(served):
    r = _register(served, _id_number())
    his = Driver(f"http://127.0.0.1:{served.http_port}", served.credentials)
    try:
        answer = his.request("visit", patient={"medium": "ehc-qr-static", "qr_text": r.qr_text}, steps=STEPS)
        assert answer["ok"] and answer["patient"]["main_index"] == r.person.main_index, answer
        assert all(s["reported"] for s in answer["steps"]) and len(answer["steps"]) == len(STEPS)
        held = _usage(served, r.card.ehcid)
        scenes = load_profile("national", default_catalogue()).param("scenes")
        assert sorted(u.scene for u in held) == sorted(str(scenes[s]) for s in STEPS)
        assert {u.card_type for u in held} == {"11"}
        assert {u.org_code for u in held} == {served.credentials.org_code}
        # a refused card stops the visit: nothing reported
        with served.client("admin") as admin:
            admin.issuance.Suspend(
                issuance_pb2.CardActionRequest(ehcid=r.card.ehcid, reason="test", context=admin.context())
            )
        refused = his.request(
            "visit", patient={"medium": "ehc-qr-static", "qr_text": r.qr_text}, steps=["payment"]
        )
        assert refused["error"]["code"] == "CARD_SUSPENDED" and not refused["steps"], refused
        assert len(_usage(served, r.card.ehcid)) == len(STEPS)
    finally:
        his.close()


def test_an_id_card_patient_is_registered_as_on_record_and_reported_as_an_id_card(served):
    number = _id_number()
    r = _register(served, number)
    proxy = EnvelopeProxy(f"http://127.0.0.1:{served.http_port}")
    his = Driver(proxy.base_url, served.credentials)
    try:
        patient = {"medium": "id-card", "identifier": number, "name": "测试居民", "sex": "1", "nation": "01"}
        answer = his.request("visit", patient=patient, steps=["registration"])
        assert answer["patient"]["main_index"] == r.person.main_index, answer  # the person on record
        names = [(c.name, c.status) for c in proxy.since(0)]
        assert ("Register", "OK") in names and names[-1] == ("Report", "OK"), names
        report = proxy.since(0, "Report")[-1].request
        assert report.card_type == "20" and report.card_number == number and not report.ehcid
    finally:
        his.close()
        proxy.close()


@pytest.mark.parametrize(("mutant", "records"), [("", 1), ("tencent-sdk-request-id", 2)])
def test_a_lost_report_answer_is_retried_with_the_usage_record_id(served, mutant, records):
    """The proxy forwards reportHISData, then closes the connection: the node committed, the HIS
    never heard. The reference retries with the same requestId (one record); the mutant's SDK mints
    a new one and the served node counts the use twice."""
    r = _register(served, _id_number())
    proxy = EnvelopeProxy(f"http://127.0.0.1:{served.http_port}")
    his = Driver(proxy.base_url, served.credentials, mutant=mutant)
    try:
        proxy.drop_reply_next(REPORT)
        his.request("visit", patient={"medium": "ehc-qr-static", "qr_text": r.qr_text}, steps=["payment"])
        sent = proxy.since(0, "Report")
        assert [c.outcome for c in sent] == ["reply-dropped", "forwarded"], [c.summary() for c in sent]
        assert len({c.request.request_id for c in sent}) == (1 if not mutant else 2)
        assert len(_usage(served, r.card.ehcid)) == records
    finally:
        his.close()
        proxy.close()


def test_certify_his_api_tencent_passes_the_reference(tmp_path):
    """The CLI path: ``ehc certify his --api tencent --driver reference`` PASSes (exit 0)."""
    out = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "certify", "his", "--api", "tencent", "--driver", "reference",
         "--quiet", "--out", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "pass" and report["dut"]["api"] == "tencent"


def test_api_tencent_is_checked_before_any_test(tmp_path):
    """A driver that does not exist stops the run with 3, an unknown api with 2; no report."""
    from click.testing import CliRunner

    from conformance_tests.cli import certify

    out = tmp_path / "report"
    result = CliRunner().invoke(
        certify, ["his", "--api", "tencent", "--driver", "no-such-his-driver", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 3 and "not found" in result.stderr and not out.exists(), result.stderr
    result = CliRunner().invoke(certify, ["his", "--api", "soap", "--out", str(out), "--quiet"])
    assert result.exit_code == 2 and not out.exists()
