"""A platform that renders a card's code images once and serves them with every new code text."""

import base64

from qr_codec.image import render_png

from ._proxy import ProxyPlatform


class StaleCodeImage(ProxyPlatform):
    mutant_name = "stale-code-image"
    description = "dt_qr_code_img of RHC_E0005 shows the static code, not dt_qr_code"
    defect_class = "code image does not show the code"
    catches = ("QINGHAI-010",)

    def rewrite_answer(self, action, answer):
        data = answer.get("data")
        if action.get("bussinessCode") == "RHC_E0005" and isinstance(data, dict) and data.get("qr_code"):
            data["dt_qr_code_img"] = base64.b64encode(render_png(data["qr_code"])).decode("ascii")
        return answer


MUTANT = StaleCodeImage
