import datetime as dt

from ._base import CodecMutant


class PadsWithSpaces(CodecMutant):
    mutant_name = "pads-with-spaces"
    description = "pads the validity plaintext with 0x20 instead of 0x00"
    defect_class = "validity seal"
    catches = ("QR-DYN-001",)

    def seal_validity(self, protect_key: bytes, when: dt.datetime) -> str:
        from ehc.gm import sm4_ecb_encrypt

        digits = when.strftime("%Y%m%d%H%M%S")
        bcd = bytes.fromhex(digits)
        return sm4_ecb_encrypt(protect_key, bcd + b" " * 9).hex().upper()


MUTANT = PadsWithSpaces
