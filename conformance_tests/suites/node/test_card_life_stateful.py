"""A Hypothesis stateful suite of one card's life on the node: register, codes, verify, suspend,
resume, cancel — the model predicts every answer; a failure shrinks to a minimal step list."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from .helpers import card_action, qr, register, verify


def make_machine(dut, refuse_reissue: bool):
    class CardLife(RuleBasedStateMachine):
        @initialize()
        def new_card(self):
            r = register(dut)
            self.ehcid, self.static, self.main_index = r.card.ehcid, r.qr_text, r.person.main_index
            self.status = "normal"
            self.dynamic: list[str] = []

        @rule()
        def get_static_code(self):
            response, error = qr(dut, self.ehcid, dynamic=False)
            if self.status == "normal":
                assert error is None, error
            elif self.status == "cancelled":
                assert error is not None, "static code for a cancelled card"
            # a suspended card may or may not get a code (not specified); it must not verify
            if error is None:
                assert response.qr_text == self.static

        @rule()
        def get_dynamic_code(self):
            response, error = qr(dut, self.ehcid, dynamic=True)
            if self.status == "cancelled":
                assert error is not None, "dynamic code for a cancelled card"
            elif self.status == "normal" and not (refuse_reissue and self.dynamic):
                assert error is None, error
            # with the profile's re-issue refusal a second code may be refused while one is valid
            if error is None:
                self.dynamic.append(response.qr_text)

        @rule()
        def verify_static(self):
            response, error = verify(dut, self.static)
            if self.status == "normal":
                assert error is None and response.person.main_index == self.main_index, error
            else:
                assert error is not None, f"verified a {self.status} card"

        @rule()
        def verify_latest_dynamic(self):
            if not self.dynamic:
                return
            response, error = verify(dut, self.dynamic[-1])
            if self.status != "normal":
                assert error is not None, f"dynamic code of a {self.status} card verified"
            elif error is None:
                assert response.person.main_index == self.main_index

        @rule()
        def suspend(self):
            _, error = card_action(dut, "Suspend", self.ehcid)
            assert (error is None) == (self.status == "normal"), (self.status, error)
            if error is None:
                self.status = "suspended"

        @rule()
        def resume(self):
            _, error = card_action(dut, "Resume", self.ehcid)
            assert (error is None) == (self.status == "suspended"), (self.status, error)
            if error is None:
                self.status = "normal"

        @rule()
        def cancel(self):
            _, error = card_action(dut, "Cancel", self.ehcid)
            assert (error is None) == (self.status != "cancelled"), (self.status, error)
            self.status = "cancelled"

        @invariant()
        def ehcid_is_stable(self):
            assert len(self.ehcid) == 64

    return CardLife


@pytest.mark.requirement("NODE-CARD-001", "NODE-CARD-002", "NODE-CARD-006", "NODE-VERIFY-004", "NODE-QR-004")
def test_card_life_state_machine(dut, profile, hypothesis_seed, run_context):
    from hypothesis import seed as pin_seed

    machine = make_machine(dut, bool(profile.param("dynamic_code.refuse_reissue_while_valid")))
    if run_context.certification:
        pin_seed(hypothesis_seed)(machine)
    run_state_machine_as_test(
        machine,
        settings=settings(
            settings.default,
            max_examples=max(5, run_context.max_examples // 5),
            stateful_step_count=15,
            report_multiple_bugs=False,  # one minimal step list per run: shrinking each bug doubles the time
        ),
    )
