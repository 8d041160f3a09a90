from ._base import CodecMutant


class KeepsLowercaseX(CodecMutant):
    mutant_name = "keeps-lowercase-x"
    description = "derives from the ID number as typed: a lower-case x check character gives another EHCID"
    defect_class = "EHCID derivation"
    catches = ("QR-EHCID-003",)

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from conformance_tests.oracle import user_key
        from ehc.gm import sm4_ecb_encrypt

        plain = (doc_type + doc_number).encode("ascii")
        plain += b"\x00" * (-len(plain) % 16)
        result = sm4_ecb_encrypt(user_key(main_index, root_key), plain).hex().upper()
        self.log.call("derive_ehcid", {"doc_type": doc_type}, {"ehcid": result})
        return result


MUTANT = KeepsLowercaseX
