"""Start and stop a real pcscd with the vsmartcard vpcd driver, for tests, benchmarks and the CLI.

Two modes:

* ``isolated`` (default for tests): a private pcscd with its own reader.conf.d (``pcscd -c``), its own
  client socket (handed over by systemd-style socket activation, ``LISTEN_FDS``) and its own pair of
  free vpcd TCP ports. It does not disturb a system pcscd, another test run, or a vendor's PC/SC
  software on the same machine. PC/SC clients reach it with ``PCSCLITE_CSOCK_NAME=<socket>`` in
  their environment (:meth:`PcscdHarness.client_env`) - libpcsclite reads that variable once per
  process, at its first PC/SC call.
* ``system``: the ordinary pcscd on ``/run/pcscd/pcscd.comm`` with ``/etc/reader.conf.d`` (Debian's
  vsmartcard-vpcd config: reader "Virtual PCD", slot 0 on TCP 35963, slot 1 on 35964). A pcscd
  already running is reused and left running; one started here is stopped here.

pcscd needs root. Every pcscd started here gets SIGTERM when this process dies (Linux
PR_SET_PDEATHSIG) and at interpreter exit, so none is left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from card_emulators.readers.errors import PCSCD_START_FAILED, PCSCD_UNAVAILABLE
from ehc.errors import EhcError

__all__ = [
    "VpcdReaderConfig",
    "PcscdHarness",
    "find_pcscd",
    "find_vpcd_driver",
    "read_vpcd_config",
    "unavailable_reason",
    "SYSTEM_CONFIG_DIR",
    "SYSTEM_SOCKET",
]

SYSTEM_CONFIG_DIR = Path("/etc/reader.conf.d")
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
VPCD_SLOTS = 2  # vsmartcard's default build (vicc_max_slots): slot n listens on base port + n
_DRIVER_CANDIDATES = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib64/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so",
)
_PCSCD_CANDIDATES = ("/usr/sbin/pcscd", "/usr/local/sbin/pcscd", "/sbin/pcscd")
_LIVE: set[PcscdHarness] = set()


@dataclass(frozen=True)
class VpcdReaderConfig:
    """One vpcd entry of a reader.conf.d file."""

    path: Path
    friendly_name: str
    host: str  # "/dev/null" = the driver listens (the card connects); otherwise it dials the card
    port: int
    libpath: str

    def reader_name(self, slot: int = 0) -> str:
        """The PC/SC name pcscd gives slot n of the first such reader ("Virtual PCD 00 00")."""
        return f"{self.friendly_name} 00 {slot:02d}"


def find_pcscd() -> str | None:
    found = shutil.which("pcscd")
    if found:
        return found
    return next((p for p in _PCSCD_CANDIDATES if os.access(p, os.X_OK)), None)


def find_vpcd_driver() -> str | None:
    return next((p for p in _DRIVER_CANDIDATES if os.path.exists(p)), None)


def read_vpcd_config(config_dir: Path = SYSTEM_CONFIG_DIR) -> VpcdReaderConfig | None:
    """Parse the first reader.conf.d entry that loads libifdvpcd (None if there is none)."""
    if not config_dir.is_dir():
        return None
    for path in sorted(config_dir.iterdir()):
        if not path.is_file():
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        fields: dict[str, str] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            fields[key.upper()] = value.strip().strip('"')
        if "libifdvpcd" not in fields.get("LIBPATH", ""):
            continue
        host, _, port_text = fields.get("DEVICENAME", "/dev/null:0x8C7B").rpartition(":")
        port_text = port_text or fields.get("CHANNELID", "0x8C7B")
        try:
            port = int(port_text, 0)
        except ValueError:
            port = 0x8C7B
        return VpcdReaderConfig(
            path, fields.get("FRIENDLYNAME", "Virtual PCD"), host, port, fields["LIBPATH"]
        )
    return None


def unavailable_reason() -> str | None:
    """Why a real pcscd cannot be started here, or None when it can."""
    if sys.platform != "linux":
        return f"pcscd harness supports Linux only (platform {sys.platform})"
    if os.geteuid() != 0:
        return "pcscd must run as root (this process is not root)"
    if find_pcscd() is None:
        return "pcscd is not installed (apt-get install pcscd)"
    if find_vpcd_driver() is None:
        return "the vpcd driver is not installed (apt-get install vsmartcard-vpcd)"
    try:
        import smartcard  # noqa: F401
    except ImportError:
        return "pyscard is not installed (pip install pyscard; needs libpcsclite-dev and swig)"
    return None


def _free_port_pair() -> int:
    """A base port p with p and p+1 free on loopback (the two vpcd slots)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + 1 > 65535:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(("127.0.0.1", base + 1))
        except OSError:
            continue
        return base
    raise EhcError(PCSCD_START_FAILED, "no free pair of TCP ports for vpcd")


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM pcscd if the test process dies (Linux).
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_LIST_READERS = (
    "import json\n"
    "try:\n"
    "    from smartcard.System import readers\n"
    "    print(json.dumps([str(r) for r in readers()]))\n"
    "except Exception as exc:\n"
    "    print(json.dumps({'error': str(exc)}))\n"
)


_WAIT_CARD = (
    "import sys, time\n"
    "from smartcard.System import readers\n"
    "name, want, deadline = sys.argv[1], sys.argv[2] == '1', time.monotonic() + float(sys.argv[3])\n"
    "while True:\n"
    "    conn = next(r for r in readers() if str(r) == name).createConnection()\n"
    "    try:\n"
    "        conn.connect(); conn.disconnect(); present = True\n"
    "    except Exception:\n"
    "        present = False\n"
    "    finally:\n"
    "        conn.component.release()\n"
    "    if present == want: sys.exit(0)\n"
    "    if time.monotonic() > deadline: sys.exit(1)\n"
    "    time.sleep(0.05)\n"
)


class PcscdHarness:
    """A pcscd process with the vpcd driver; a context manager.

    ``harness.vpcd_port(slot)`` is where a :class:`~card_emulators.transports.vpcd.VpcdClient`
    connects; ``harness.reader_name(slot)`` is the PC/SC reader name clients then see.
    """

    def __init__(
        self,
        mode: str = "isolated",
        *,
        vpcd_base_port: int | None = None,
        start_timeout: float = 15.0,
        debug: bool = False,
        card_host: str | None = None,
    ) -> None:
        if mode not in ("isolated", "system"):
            raise ValueError("mode must be 'isolated' or 'system'")
        self.mode = mode
        self.start_timeout = start_timeout
        self.debug = debug
        # None: the driver listens and cards connect (the default). A host: "reverse" mode, the
        # driver dials the card there (VpcdClient(listen=True)); isolated mode only.
        self.card_host = card_host
        self.friendly_name = "Virtual PCD"
        self._requested_port = vpcd_base_port
        self.base_port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None
        self.socket_path: Path = SYSTEM_SOCKET
        self.reused_existing = False
        self.readers: list[str] = []

    # --- addresses --------------------------------------------------------------------------------
    def vpcd_port(self, slot: int = 0) -> int:
        return self.base_port + slot

    def reader_name(self, slot: int = 0) -> str:
        return f"{self.friendly_name} 00 {slot:02d}"

    def client_env(self) -> dict[str, str]:
        """Environment for a PC/SC client process (pyscard, pcsc_scan, a vendor's program)."""
        env = dict(os.environ)
        if self.mode == "isolated":
            env["PCSCLITE_CSOCK_NAME"] = str(self.socket_path)
        return env

    def use_in_this_process(self) -> None:
        """Point this process's libpcsclite at this pcscd (before its first PC/SC call)."""
        if self.mode == "isolated":
            os.environ["PCSCLITE_CSOCK_NAME"] = str(self.socket_path)

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> PcscdHarness:
        reason = unavailable_reason()
        if reason:
            raise EhcError(PCSCD_UNAVAILABLE, reason)
        if self.mode == "system":
            self._start_system()
        else:
            self._start_isolated()
        _LIVE.add(self)
        try:
            self.readers = self._wait_for_readers()
        except EhcError:
            self.stop()
            raise
        return self

    def _start_system(self) -> None:
        config = read_vpcd_config(SYSTEM_CONFIG_DIR)
        if config is None:
            raise EhcError(
                PCSCD_UNAVAILABLE, f"no vpcd entry in {SYSTEM_CONFIG_DIR} (apt-get install vsmartcard-vpcd)"
            )
        self.friendly_name = config.friendly_name
        self.base_port = config.port
        if SYSTEM_SOCKET.exists() and self._system_pcscd_alive():
            self.reused_existing = True  # someone else's pcscd: use it, never stop it
            return
        # pcscd reads reader.conf.d only at start: it must start after the vpcd config exists.
        self.proc = self._spawn([find_pcscd() or "pcscd", "--foreground"], pass_fd=None)

    def _system_pcscd_alive(self) -> bool:
        try:
            pid = int(Path("/run/pcscd/pcscd.pid").read_text().strip())
            os.kill(pid, 0)
            return True
        except (OSError, ValueError):
            return False

    def _start_isolated(self) -> None:
        self.base_port = self._requested_port or _free_port_pair()
        self.workdir = Path(tempfile.mkdtemp(prefix="ehc-pcscd-"))
        conf = self.workdir / "reader.conf.d"
        conf.mkdir()
        (conf / "vpcd").write_text(
            f'FRIENDLYNAME "{self.friendly_name}"\n'
            f"DEVICENAME   {self.card_host or '/dev/null'}:0x{self.base_port:04X}\n"
            f"LIBPATH      {find_vpcd_driver()}\n"
            f"CHANNELID    0x{self.base_port:04X}\n"
        )
        self.socket_path = self.workdir / "pcscd.comm"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o666)
        listener.listen(64)
        try:
            self.proc = self._spawn(
                [find_pcscd() or "pcscd", "--foreground", "--config", str(conf)], pass_fd=listener.fileno()
            )
        finally:
            listener.close()  # pcscd holds its own copy as fd 3

    def _spawn(self, argv: list[str], pass_fd: int | None) -> subprocess.Popen[bytes]:
        if self.debug:
            argv = [*argv, "--debug", "--apdu"]
        stdbuf = shutil.which("stdbuf")
        if stdbuf:  # pcscd logs with stdio: line-buffer it so the log is complete when we read it
            argv = [stdbuf, "-oL", *argv]
        log_path = Path(self.workdir or tempfile.mkdtemp(prefix="ehc-pcscd-")) / "pcscd.log"
        if self.workdir is None:
            self.workdir = log_path.parent
        self._log_path = log_path
        env = dict(os.environ)
        env.pop("PCSCLITE_CSOCK_NAME", None)
        if pass_fd is None:
            command = argv
            preexec = _die_with_parent
            pass_fds: tuple[int, ...] = ()
        else:
            # systemd socket activation: fd 3, LISTEN_FDS=1, LISTEN_PID = pcscd's own pid (the
            # shell's pid, which exec keeps).
            env["LISTEN_FDS"] = "1"
            quoted = " ".join(_shell_quote(a) for a in argv)
            command = ["/bin/sh", "-c", f"export LISTEN_PID=$$; exec {quoted}"]

            def preexec() -> None:
                os.dup2(pass_fd, 3)
                _die_with_parent()

            pass_fds = (3,)
        with open(log_path, "wb") as log_file:
            return subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=pass_fds,
                preexec_fn=preexec,
                start_new_session=True,
            )

    def list_readers(self) -> list[str]:
        """Reader names via pyscard in a fresh process (its libpcsclite has no cached socket)."""
        out = subprocess.run(
            [sys.executable, "-c", _LIST_READERS],
            env=self.client_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        try:
            data = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return []
        return data if isinstance(data, list) else []

    def wait_card(self, slot: int = 0, present: bool = True, timeout: float = 10.0) -> bool:
        """Wait until pcscd sees a card in ``slot`` (or, with ``present=False``, sees it gone).

        pcscd polls a vpcd slot about every 0.4 s; a card served right after another one must wait
        for the removal to be seen, or pcscd takes it for the old card."""
        result = subprocess.run(
            [sys.executable, "-c", _WAIT_CARD, self.reader_name(slot), "1" if present else "0", str(timeout)],
            env=self.client_env(),
            capture_output=True,
            timeout=timeout + 30,
        )
        return result.returncode == 0

    def _wait_for_readers(self) -> list[str]:
        wanted = {self.reader_name(0)}
        deadline = time.monotonic() + self.start_timeout
        found: list[str] = []
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise EhcError(
                    PCSCD_START_FAILED,
                    f"pcscd exited with {self.proc.returncode}",
                    log=self.log_text()[-800:],
                )
            found = self.list_readers()
            if wanted <= set(found):
                return found
            time.sleep(0.2)
        hint = (
            " (a pcscd already running reads /etc/reader.conf.d only at start: restart it)"
            if self.reused_existing
            else ""
        )
        raise EhcError(
            PCSCD_START_FAILED,
            f"reader {sorted(wanted)} not visible; saw {found}{hint}",
            log=self.log_text()[-800:],
        )

    def log_text(self) -> str:
        path = getattr(self, "_log_path", None)
        try:
            return path.read_text(errors="replace") if path else ""
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the pcscd started here (SIGTERM, then SIGKILL) and remove its files."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        _LIVE.discard(self)
        if self.workdir is not None:  # config, socket and log: all ours, in both modes
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    @property
    def running(self) -> bool:
        return self.reused_existing or (self.proc is not None and self.proc.poll() is None)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def __enter__(self) -> PcscdHarness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _shell_quote(arg: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./=:-]+", arg):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"


@atexit.register
def _stop_all() -> None:
    for harness in list(_LIVE):
        harness.stop()
