"""HIS mutant rt-deferred-paid-scene: defers the poor's bill correctly at the node, but the HIS has
one scene for the 收费 step and reports the deferred bill as paid (门诊缴费 已缴)."""

from __future__ import annotations

from conformance_tests.drivers.his_payment import DEFERRED_SCENE
from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class DeferredPaidScene(His):
    def report_paid_step(self, who: dict, scene: str, category: str) -> bool:
        if scene == DEFERRED_SCENE:
            scene = self.scene_of("payment")
        return super().report_paid_step(who, scene, category)


class MUTANT:
    mutant_name = "rt-deferred-paid-scene"
    description = "defers the poor's bill at the node but reports the 收费 use with the paid scene"
    defect_class = "pay later"
    catches = ("HIS-PAY-007",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return DeferredPaidScene
