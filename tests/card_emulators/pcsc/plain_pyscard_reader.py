"""A PC/SC client that knows nothing of the kit: plain pyscard, raw APDUs, its own GET RESPONSE.

Run as a separate process against whatever pcscd PCSCLITE_CSOCK_NAME points at (or the system
one). Prints one JSON object. It is what a vendor's terminal software does with a health card:

    python plain_pyscard_reader.py CARD_READER PSAM_READER PSAM_PIN
"""

import json
import os
import sys
import time

from smartcard.System import readers


def connect(name, timeout=10.0):
    reader = next(r for r in readers() if str(r) == name)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = reader.createConnection()
            conn.connect()
            return conn
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def send(conn, hexapdu):
    apdu = list(bytes.fromhex(hexapdu))
    data, sw1, sw2 = conn.transmit(apdu)
    while sw1 == 0x61:  # T=0 style: fetch the data
        more, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        data += more
    return bytes(data), f"{sw1:02X}{sw2:02X}"


def main():
    card_reader, psam_reader, pin = sys.argv[1], sys.argv[2], sys.argv[3]
    out = {"readers": [str(r) for r in readers()]}
    card = connect(card_reader)
    psam = connect(psam_reader)
    atr = bytes(card.getATR())
    out["atr"] = atr.hex().upper()
    out["select_mf"] = send(card, "00A40000023F00")[1]
    out["select_ddf1"] = send(card, "00A4000002DDF1")[1]
    out["select_ef05"] = send(card, "00A4000002EF05")[1]
    item57, out["read_57_sw"] = send(card, "00B2390005")
    out["item57"] = item57.hex().upper()
    out["select_ef06"] = send(card, "00A4000002EF06")[1]
    out["read_11_before_auth_sw"] = send(card, "00B20B0020")[1]

    # read-key authentication with the PSAM (the observed flow of the health-card spec)
    challenge, out["challenge_sw"] = send(card, "0084000008")
    out["psam_select_mf"] = send(psam, "00A40000023F00")[1]
    pin_hex = pin + "F" * (len(pin) % 2)
    out["psam_verify"] = send(psam, f"00200000{len(pin_hex) // 2:02X}{pin_hex}")[1]
    out["psam_select_df01"] = send(psam, "00A4000002DF01")[1]
    card_number = atr.hex().upper()[10:26]
    city = item57[2:4].hex().upper() + b"000000".hex().upper()
    out["deliver_key"] = send(psam, "80DE473118" + card_number + city + challenge.hex().upper())[1]
    terminal_random = os.urandom(8)
    block, out["cipher"] = send(psam, "80FA000010" + terminal_random.hex().upper() + "00" * 8)
    cryptogram = bytes(a ^ b for a, b in zip(block[:8], block[8:16], strict=True))
    out["external_auth"] = send(
        card, "0082000411" + cryptogram.hex().upper() + terminal_random.hex().upper() + "01"
    )[1]
    name, out["read_11_sw"] = send(card, "00B20B0020")
    idno, out["read_15_sw"] = send(card, "00B20F0014")
    out["name"] = name[2:].rstrip(b"\x00").decode("gb2312")
    out["id_number"] = idno[2:].decode("ascii")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
