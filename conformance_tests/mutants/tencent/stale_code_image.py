"""A platform that caches the first code image of a card and serves it with every new code text."""

from ._proxy import ProxyPlatform


class StaleCodeImage(ProxyPlatform):
    mutant_name = "stale-code-image"
    description = "qrCodeImg is the card's first image, not the code in qrCodeText"
    defect_class = "code image does not show the code"
    catches = ("TENCENT-009",)

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.images: dict[str, str] = {}

    def rewrite_response(self, path, body, out):
        rsp = out.get("rsp") or {}
        if path.endswith("/getDynamicQRCode") and rsp.get("qrCodeImg"):
            card = body.get("req", {}).get("healthCardId", "")
            import base64

            from qr_codec.image import render_png

            first = self.images.setdefault(card, base64.b64encode(render_png(f"{card}:1")).decode())
            rsp["qrCodeImg"] = first
        return out


MUTANT = StaleCodeImage
