from ._base import CodecMutant


class Pkcs7Padding(CodecMutant):
    mutant_name = "pkcs7-padding"
    description = "derives the EHCID with PKCS#7 padding (the library default) instead of 0x00 padding"
    defect_class = "EHCID derivation"
    catches = ("QR-EHCID-001", "QR-EHCID-002")

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from conformance_tests.oracle import user_key
        from ehc.gm import sm4_ecb_encrypt

        plain = (doc_type + doc_number).encode("ascii")
        pad = 16 - len(plain) % 16
        return sm4_ecb_encrypt(user_key(main_index, root_key), plain + bytes([pad]) * pad).hex().upper()


MUTANT = Pkcs7Padding
