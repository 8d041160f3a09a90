"""A vendor that read "EHCID: 64 upper-case hex" as a fixed size: the plain text is zero-padded to
32 bytes whatever its length. Citizen IDs ("01" + 18 characters = 20 bytes) come out right; a
birth certificate ("08" + 10 characters) gets a 64-digit EHCID where the national algorithm
gives 32."""

from qr_codec import ehcid as qr_ehcid

from ._base import CodecMutant


class FixedBlock(CodecMutant):
    mutant_name = "rt3-fixed-block"
    description = "EHCID plain text always zero-padded to 32 bytes (short documents get 64 hex digits)"
    defect_class = "EHCID derivation"
    catches = ("QR-EHCID-001", "QR-EHCID-002")

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        plain = qr_ehcid._check_document(doc_type, doc_number)
        size = max(32, len(plain) + (-len(plain) % 16))
        plain = plain.ljust(size, b"\x00")
        user_key = qr_ehcid.derive_user_key(main_index, root_key)
        enc = Cipher(algorithms.SM4(user_key), modes.ECB()).encryptor()
        result = (enc.update(plain) + enc.finalize()).hex().upper()
        self.log.call("derive_ehcid", {"doc_type": doc_type, "doc_number": doc_number}, {"ehcid": result})
        return result


MUTANT = FixedBlock
