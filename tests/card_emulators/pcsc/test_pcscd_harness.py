"""The pcscd harness itself: configuration discovery, isolation, clean stop."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from card_emulators import pcscd as harness_mod
from card_emulators.pcscd import PcscdHarness, read_vpcd_config, unavailable_reason
from ehc.errors import EhcError


def test_debian_vpcd_config_is_found_and_parsed(tmp_path: Path) -> None:
    conf = tmp_path / "reader.conf.d"
    conf.mkdir()
    (conf / "libccidtwin").write_text(
        "# serial reader, commented out\n#LIBPATH /usr/lib/pcsc/drivers/serial/libccidtwin.so\n"
    )
    (conf / "vpcd").write_text(
        'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x8C7B\n'
        "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x8C7B\n"
    )
    config = read_vpcd_config(conf)
    assert config is not None
    assert (config.friendly_name, config.host, config.port) == ("Virtual PCD", "/dev/null", 35963)
    assert config.reader_name(0) == "Virtual PCD 00 00" and config.reader_name(1) == "Virtual PCD 00 01"
    assert read_vpcd_config(tmp_path / "missing") is None


@pytest.mark.skipif(
    not Path("/etc/reader.conf.d/vpcd").exists(), reason="vsmartcard-vpcd config not installed"
)
def test_installed_system_config_uses_the_documented_port() -> None:
    config = read_vpcd_config()
    assert config is not None and config.port == 35963 and config.friendly_name == "Virtual PCD"


def test_unavailable_reason_names_the_missing_piece(monkeypatch) -> None:
    monkeypatch.setattr(harness_mod.os, "geteuid", lambda: 1000)
    assert "root" in (unavailable_reason() or "")
    monkeypatch.setattr(harness_mod.os, "geteuid", lambda: 0)
    monkeypatch.setattr(harness_mod, "find_pcscd", lambda: None)
    assert "pcscd is not installed" in (unavailable_reason() or "")
    with pytest.raises(EhcError) as err:
        PcscdHarness().start()
    assert err.value.code.name == "PCSCD_UNAVAILABLE"


def test_isolated_instances_coexist_and_stop_without_leftovers(pcscd) -> None:
    # The session pcscd (fixture) runs; a second private one must come up beside it.
    with PcscdHarness() as second:
        assert second.base_port != pcscd.base_port
        assert second.socket_path != pcscd.socket_path
        assert second.reader_name(0) in second.list_readers()
        pid, workdir = second.pid, second.workdir
    assert pid is not None and not Path(f"/proc/{pid}").exists()
    assert workdir is not None and not workdir.exists()
    assert pcscd.running and pcscd.reader_name(0) in pcscd.list_readers()


def test_client_env_points_at_the_private_socket(pcscd) -> None:
    env = pcscd.client_env()
    if pcscd.mode == "isolated":
        assert env["PCSCLITE_CSOCK_NAME"] == str(pcscd.socket_path)
        assert os.path.exists(env["PCSCLITE_CSOCK_NAME"])


def test_wait_card_sees_insertion_and_removal(pcscd) -> None:
    from card_emulators.transports.vpcd import VpcdClient

    class Minimal:
        def getATR(self) -> bytes:  # noqa: N802
            return bytes.fromhex("3B00")

        def powerUp(self) -> None:  # noqa: N802
            pass

        def powerDown(self) -> None:  # noqa: N802
            pass

        def reset(self) -> None:
            pass

        def execute(self, apdu: bytes) -> bytes:
            return b"\x90\x00"

    with PcscdHarness() as private:
        assert private.wait_card(0, present=False, timeout=2)
        client = VpcdClient(Minimal(), port=private.vpcd_port(0)).start()
        assert private.wait_card(0, present=True)
        client.stop()
        assert private.wait_card(0, present=False)


def test_vpcd_client_survives_a_pcscd_restart(pcscd) -> None:
    from card_emulators.transports.vpcd import VpcdClient

    class Minimal:
        def getATR(self) -> bytes:  # noqa: N802
            return bytes.fromhex("3B00")

        def powerUp(self) -> None:  # noqa: N802
            pass

        def powerDown(self) -> None:  # noqa: N802
            pass

        def reset(self) -> None:
            pass

        def execute(self, apdu: bytes) -> bytes:
            return b"\x90\x00"

    first = PcscdHarness().start()
    port = first.base_port
    client = VpcdClient(Minimal(), port=first.vpcd_port(0), reconnect_delay=0.05).start()
    try:
        assert first.wait_card(0, present=True)
        first.stop()  # pcscd goes away under the card: the client keeps retrying
        with PcscdHarness(vpcd_base_port=port) as second:
            assert second.wait_card(0, present=True)
        assert client.stats.connects >= 2
    finally:
        client.stop()
        first.stop()


def test_reverse_mode_pcscd_dials_listening_cards(pcscd) -> None:
    """DEVICENAME host:port: the driver connects out to cards that listen (pcscd in a VM/container)."""
    import socket
    import subprocess
    import sys

    from card_emulators.transports.vpcd import VpcdClient

    class Echo:
        def getATR(self) -> bytes:  # noqa: N802
            return bytes.fromhex("3B00")

        def powerUp(self) -> None:  # noqa: N802
            pass

        def powerDown(self) -> None:  # noqa: N802
            pass

        def reset(self) -> None:
            pass

        def execute(self, apdu: bytes) -> bytes:
            return apdu[5:] + b"\x90\x00"

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    base = probe.getsockname()[1]
    probe.close()
    cards = [VpcdClient(Echo(), "127.0.0.1", base + slot, listen=True).start() for slot in (0, 1)]
    try:
        with PcscdHarness(vpcd_base_port=base, card_host="127.0.0.1") as reverse:
            assert reverse.wait_card(0) and reverse.wait_card(1)
            code = (
                "import sys\nfrom card_emulators.transports.pcsc import PcscTransport\n"
                "with PcscTransport(sys.argv[1]) as t: print(t.transmit(bytes.fromhex('80CA000002BEEF')).hex())"
            )
            out = subprocess.run(
                [sys.executable, "-c", code, reverse.reader_name(1)],
                env=reverse.client_env(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.stdout.strip() == "beef9000", out.stderr[-1000:]
        assert all(c.stats.connects >= 1 for c in cards)
    finally:
        for c in cards:
            c.stop()
