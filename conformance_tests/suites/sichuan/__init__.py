"""Suite of the node-sichuan role (Sichuan (Mianyang) JSON envelope: AES bizContent, MD5 digest)."""
