from ._base import CodecMutant


class SwappedKeyOrder(CodecMutant):
    mutant_name = "swapped-key-order"
    description = (
        "computes the user key as SM4(key = factor || NOT factor, data = root key): arguments swapped"
    )
    defect_class = "EHCID derivation"
    catches = ("QR-EHCID-001", "QR-EHCID-002")

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from conformance_tests.oracle import diversify
        from ehc.gm import sm4_ecb_encrypt

        user = sm4_ecb_encrypt(diversify(main_index), root_key)
        plain = (doc_type + doc_number).encode("ascii")
        plain += b"\x00" * (-len(plain) % 16)
        return sm4_ecb_encrypt(user, plain).hex().upper()


MUTANT = SwappedKeyOrder
