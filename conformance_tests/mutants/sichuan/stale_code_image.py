"""A platform that caches the first code image of a card and serves it with every new code text."""

import base64

from qr_codec.image import render_png

from ._proxy import ProxyPlatform


class StaleCodeImage(ProxyPlatform):
    mutant_name = "stale-code-image"
    description = "qrCodeImg is the card's static code image, not the code in qrCode"
    defect_class = "code image does not show the code"
    catches = ("SICHUAN-008",)

    def rewrite_response(self, body, out):
        content = self.content(out) if body.get("method") == "healthcard.qrcode.get" else None
        if content and content.get("qrCodeImg") and content.get("ehealthCardId"):
            image = base64.b64encode(render_png(f"{content['ehealthCardId']}:1")).decode("ascii")
            return self.with_content(out, content | {"qrCodeImg": image})
        return out


MUTANT = StaleCodeImage
