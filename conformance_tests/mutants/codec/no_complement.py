from ._base import CodecMutant


class NoComplement(CodecMutant):
    mutant_name = "no-complement"
    description = "diversifies with factor || factor instead of factor || NOT(factor)"
    defect_class = "EHCID derivation"
    catches = ("QR-EHCID-001", "QR-EHCID-002")

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from ehc.gm import sm4_ecb_encrypt

        factor = bytes(8)
        for i in range(0, 32, 8):
            factor = bytes(a ^ b for a, b in zip(factor, main_index[i : i + 8], strict=True))
        user = sm4_ecb_encrypt(root_key, factor + factor)
        plain = (doc_type + doc_number).encode()
        plain += b"\x00" * (-len(plain) % 16)
        return sm4_ecb_encrypt(user, plain).hex().upper()


MUTANT = NoComplement
