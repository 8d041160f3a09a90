"""An envelope captured before a node restart does not replay after it (REL-F7/REL-F25 on the
platform doors): the new process's request-id cache starts empty, so the doors refuse an envelope
whose own time stamp predates the process start (minus ``replay_start_tolerance_ms``), as the
ehc.node.v1 door does with its signature time stamp."""

from __future__ import annotations

import datetime as dt
import time

from node_helpers import citizen_id

from reference_node.config import NodeConfig
from reference_node.platforms.qinghai_client import QinghaiClient
from reference_node.platforms.qinghai_envelope import ENVELOPE_CODES, parse_response
from reference_node.platforms.sichuan_client import SichuanClient
from reference_node.platforms.sichuan_envelope import RESULT_CODES as SICHUAN_CODES
from reference_node.platforms.tencent_client import TencentClient
from reference_node.platforms.tencent_envelope import OPERATION_PREFIX
from reference_node.platforms.tencent_envelope import RESULT_CODES as TENCENT_CODES
from reference_node.testing import start_node

CONFIG = NodeConfig(apis=("tencent", "qinghai", "sichuan"))


def _person() -> dict[str, str]:
    n = citizen_id()
    return {
        "name": "张三", "id_type": "01", "id_number": n, "sex": "1" if int(n[16]) % 2 else "2",
        "nation": "01", "birthday": f"{n[6:10]}-{n[10:12]}-{n[12:14]}",
    }  # fmt: skip


def _sichuan_person() -> dict[str, object]:
    n = citizen_id()
    birthday = dt.datetime(
        int(n[6:10]), int(n[10:12]), int(n[12:14]), tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    return {
        "registerNo": f"R{time.time_ns()}", "registerTime": int(time.time() * 1000), "applyType": "3",
        "idType": "01", "idNo": n, "name": "张三", "gender": "1" if int(n[16]) % 2 else "2",
        "birthday": int(birthday.timestamp() * 1000),
    }  # fmt: skip


def test_envelopes_captured_before_a_restart_do_not_replay_after_it(tmp_path):
    node = start_node(tmp_path, config=CONFIG, http=True)
    c = node.credentials
    try:
        url = f"http://127.0.0.1:{node.http_port}"
        qinghai = QinghaiClient(url, c.terminal_id, c.secret, c.org_code)
        q_action, q_message = qinghai.action("RHC_E0006"), qinghai.message(_person())
        assert parse_response(qinghai.raw(q_action, q_message))["resultCode"] == "0"
        tencent = TencentClient(url, c.terminal_id, c.secret.hex(), c.org_code)
        assert tencent.get_app_token()["commonOut"]["resultCode"] == 0
        person = _person()
        req = {"healthCardId": "0" * 64, "idType": "01", "idNumber": person["id_number"], "codeType": "1"}
        t_body = tencent.body(req)
        first = tencent.post(OPERATION_PREFIX + "getDynamicQRCode", t_body)["commonOut"]["resultCode"]
        assert first == TENCENT_CODES["CARD_UNKNOWN"]  # past the envelope checks, to the service
        sichuan = SichuanClient(url, c.terminal_id, c.secret)
        s_body = sichuan.body("healthcard.register", _sichuan_person())
        answer = sichuan.post(s_body)
        assert answer["code"] == SICHUAN_CODES["OK"], answer.get("message")
        tencent.close()
        sichuan.close()
    finally:
        node.stop()
    time.sleep(CONFIG.replay_start_tolerance_ms / 1000 + 1.2)  # past the tolerance and the stamps' second
    node = start_node(tmp_path, config=CONFIG, http=True)
    try:
        url = f"http://127.0.0.1:{node.http_port}"
        qinghai = QinghaiClient(url, c.terminal_id, c.secret, c.org_code)
        assert (
            parse_response(qinghai.raw(q_action, q_message))["resultCode"] == ENVELOPE_CODES["GUID_REPLAYED"]
        )
        tencent = TencentClient(url, c.terminal_id, c.secret.hex(), c.org_code)
        replayed = tencent.post(OPERATION_PREFIX + "getDynamicQRCode", t_body)["commonOut"]
        assert replayed["resultCode"] == TENCENT_CODES["REQUEST_ID_REPLAYED"], replayed
        sichuan = SichuanClient(url, c.terminal_id, c.secret)
        assert sichuan.post(s_body)["code"] == SICHUAN_CODES["REPLAYED"]
        # fresh envelopes are served by the new process
        assert qinghai.call("RHC_E0006", _person())["resultCode"] == "0"
        assert tencent.get_app_token()["commonOut"]["resultCode"] == 0
        fresh = sichuan.body("healthcard.register", _sichuan_person())
        assert sichuan.post(fresh)["code"] == SICHUAN_CODES["OK"]
        tencent.close()
        sichuan.close()
    finally:
        node.stop()
