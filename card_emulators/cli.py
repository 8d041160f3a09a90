"""`ehc card` - personalise, emulate (vpcd into a real pcscd), read and talk to health cards.

    ehc card personalise --person P.json -o CARD.json     # also CARD.psam.json and CARD.keys.json
    ehc card emulate --card CARD.json --vpcd --psam       # serve until Ctrl-C / SIGTERM
    ehc card readers                                       # PC/SC readers
    ehc card read --reader "00 00" --psam-reader "00 01"   # holder data as JSON
    ehc card apdu --reader "00 00" 00A4000002DDF1          # raw APDUs
    ehc card scan code.png [--wedge --enter CRLF]          # QR scanner (camera / keyboard wedge)
    ehc card wedge-check < captured.txt                    # diagnose a wedge stream
    ehc card simulate idcard|idcard-block|ssc --person P.json   # other readers' outputs
    ehc card parse idcard|idcard-block|ssc FILE            # check such an output

Key files written here are TEST-ONLY (labelled, mode 0600): real cards get keys from a real KMS.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from card_emulators.readers.errors import PCSC_NO_READER
from ehc.clitools import always_json_option, deprecated_alias, emit, fail, json_option
from ehc.errors import EhcError

DEFAULT_PSAM_PIN = "123456"  # the personaliser's default PSAM PIN (TEST-ONLY cards)
TEST_ONLY_LABEL = "TEST-ONLY: synthetic card keys for testing; never use for real cards"


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )


@click.group("card")
def card() -> None:
    """Resident health card (居民健康卡): personalise, emulate through pcscd, read, send APDUs."""


# ------------------------------------------------------------------------------------ personalise
def _read_person(path: Path, person_id: str | None) -> Any:
    from ehc.spec.model import Person

    with path.open(encoding="utf-8") as fh:
        text = fh.read()
    try:
        data = json.loads(text)
        rows = data if isinstance(data, list) else [data]
    except ValueError:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        if person_id is None or row.get("person_id") == person_id:
            return Person.from_dict(row)
    raise click.BadParameter(f"no person {person_id!r} in {path}", param_hint="--person")


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _keys_from_file(path: Path) -> tuple[Any, Any, str]:
    """(CardKeys, SM2PrivateKey issuer key, card-keys seed) from a kit key file.

    Accepts the files this command writes and ``ehc fixtures keys`` files (card masters derived
    from their seed, or from the root key when there is no seed)."""
    from card_emulators.personalise import CardKeys
    from ehc.gm import SM2PrivateKey

    data = json.loads(path.read_text(encoding="utf-8"))
    issuer = SM2PrivateKey.from_pem(data["sm2_issuer"]["private_key_pem"].encode())
    seed = data.get("card_keys_seed")
    if seed is None:
        seed = f"fixtures-seed-{data['seed']}" if data.get("seed") is not None else data["root_security_key"]
    return CardKeys.test_only(str(seed)), issuer, str(seed)


@deprecated_alias("--output", "--out")
@deprecated_alias("--json-errors", "--json")
@card.command("personalise")
@click.option(
    "--person",
    "person_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Person as `ehc fixtures population` writes it (JSON object or JSON lines).",
)
@click.option("--person-id", default=None, help="Which person of a JSON-lines file (default: the first).")
@click.option(
    "-o",
    "--out",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Card image (JSON).",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TEST-ONLY key file (default: generate one and write it beside the card).",
)
@json_option()
def personalise(
    person_file: Path, person_id: str | None, output: Path, keys_file: Path | None, as_json: bool
) -> None:
    """Write a person onto a new card image; also writes the matching PSAM and the key file."""
    from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
    from ehc.gm import SM2PrivateKey, random_bytes

    try:
        person = _read_person(person_file, person_id)
        if keys_file is None:
            seed = random_bytes(16).hex().upper()
            keys, issuer = CardKeys.test_only(seed), SM2PrivateKey.generate()
            keys_file = output.with_suffix(".keys.json")
            key_doc = {
                "label": TEST_ONLY_LABEL,
                "test_only": True,
                "card_keys_seed": seed,
                "sm2_issuer": {
                    "private_key_pem": issuer.to_pem().decode("ascii"),
                    "public_key": issuer.public_key.hex(),
                },
            }
            _write_secret(keys_file, json.dumps(key_doc, indent=2) + "\n")
        else:
            keys, issuer, _ = _keys_from_file(keys_file)
        user_card = personalise_user_card(person, keys, issuer)
        user_card.save(output)
        psam_path = output.with_suffix(".psam.json")
        new_psam(keys).save(psam_path)
        public_path = output.with_suffix(".issuer-public.pem")
        public_path.write_bytes(issuer.public_key.to_pem())
        emit(
            {
                "card": str(output),
                "psam": str(psam_path),
                "keys": str(keys_file),
                "issuer_public_key": str(public_path),
                "atr": user_card.getATR().hex().upper(),
            }
        )
    except EhcError as err:
        fail(err, as_json)


# ------------------------------------------------------------------------------------ emulate
@deprecated_alias("--json-errors", "--json")
@card.command("emulate")
@click.option(
    "--card", "card_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--vpcd/--no-vpcd", default=True, help="Serve into pcscd's vpcd driver (the only transport so far)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Where pcscd's vpcd driver listens.")
@click.option(
    "--port", default=35963, show_default=True, type=int, help="vpcd slot 0 port; the PSAM uses port+1."
)
@click.option(
    "--listen",
    is_flag=True,
    help="Reverse mode: listen on --host/--port; the driver dials in (reader.conf DEVICENAME host:port).",
)
@click.option(
    "--psam",
    "psam_file",
    is_flag=False,
    flag_value="",
    default=None,
    help="Also serve a PSAM (image file; bare --psam takes CARD.psam.json) on port+1.",
)
@click.option(
    "--transcript",
    "transcript_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="At exit, write every command the terminal sent and the answer (JSON lines; holds card data).",
)
@click.option(
    "-v", "--verbose", count=True, help="-v connections, -vv every APDU header (data is never logged)."
)
@json_option()
def emulate(
    card_file: Path,
    vpcd: bool,
    host: str,
    port: int,
    listen: bool,
    psam_file: str | None,
    transcript_file: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Serve the card image (and a PSAM) to pcscd until Ctrl-C or SIGTERM."""
    import threading

    from card_emulators.personalise import load_card
    from card_emulators.transports.vpcd import VpcdClient

    _setup_logging(max(verbose, 1))
    if not vpcd:
        raise click.UsageError("only --vpcd is supported: it is how a card reaches PC/SC software")
    try:
        user = load_card(card_file)
        record = 100_000 if transcript_file is not None else 0
        clients = [VpcdClient(user, host, port, name="user-card", listen=listen, record=record)]
        if psam_file is not None:
            path = Path(psam_file) if psam_file else card_file.with_suffix(".psam.json")
            clients.append(
                VpcdClient(load_card(path), host, port + 1, name="psam", listen=listen, record=record)
            )
    except EhcError as err:
        fail(err, as_json)
    for extra in clients[1:]:
        extra.start()
    click.echo(
        f"serving {card_file.name} on {host}:{port}"
        + (f", PSAM on {host}:{port + 1}" if len(clients) > 1 else "")
        + " (Ctrl-C to stop)",
        err=True,
    )
    try:
        clients[0].run_until_signal()  # main thread: SIGINT/SIGTERM stop it cleanly
    finally:
        stoppers = [threading.Thread(target=c.stop) for c in clients[1:]]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
    if transcript_file is not None:
        _write_transcript(transcript_file, clients)
    click.echo(f"stopped; {clients[0].stats.apdus} APDUs served", err=True)


def _write_transcript(path: Path, clients: list[Any]) -> None:
    events = sorted(((e, c.name) for c in clients for e in c.transcript), key=lambda pair: pair[0].at)
    start = events[0][0].at if events else 0.0
    with path.open("w", encoding="utf-8") as fh:
        for event, name in events:
            row = {
                "t": round(event.at - start, 6),
                "card": name,
                "kind": event.kind,
                "command": event.command.hex().upper(),
                "response": event.response.hex().upper(),
            }
            fh.write(json.dumps(row) + "\n")


# ------------------------------------------------------------------------------------ PC/SC
@card.command("readers")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option(
    "--status/--names",
    default=True,
    show_default=True,
    help="Also show card presence and ATR (like pcsc_scan).",
)
def readers(as_json: bool, status: bool) -> None:
    """List PC/SC readers, with the ATR of the card in each (like pcsc_scan)."""
    from card_emulators.transports.pcsc import list_readers, reader_status

    entries: list[dict[str, object]]
    try:
        entries = reader_status() if status else [{"reader": n} for n in list_readers()]
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        emit({"readers": [e["reader"] for e in entries], **({"status": entries} if status else {})})
        return
    if not entries:
        fail(EhcError(PCSC_NO_READER, "no PC/SC reader present"))
    for i, e in enumerate(entries):
        line = f"{i}: {e['reader']}"
        if status:
            line += f"  card: {e['atr']}" if e["card_present"] else "  (no card)"
        click.echo(line)


@card.command("apdu")
@click.option("--reader", default=None, help="Reader name or a unique part of it (default: the only reader).")
@click.option("--raw", is_flag=True, help="Do not answer 61xx with GET RESPONSE nor re-issue on 6Cxx.")
@click.option("--protocol", type=click.Choice(["any", "T0", "T1"]), default="any", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.argument("apdus", nargs=-1, required=True)
def apdu(reader: str | None, raw: bool, protocol: str, as_json: bool, apdus: tuple[str, ...]) -> None:
    """Send APDUs (hex, spaces allowed inside quotes) and print each response as `DATA SW`."""
    from card_emulators.transports.pcsc import PcscTransport, parse_apdu_hex

    try:
        commands = [parse_apdu_hex(text) for text in apdus]
        with PcscTransport(
            reader, protocol=protocol, auto_get_response=not raw, auto_resend_6c=not raw
        ) as conn:
            results = []
            for command in commands:
                response = conn.transmit(command)
                results.append(
                    {
                        "command": command.hex().upper(),
                        "data": response[:-2].hex().upper(),
                        "sw": response[-2:].hex().upper(),
                    }
                )
            atr = conn.atr.hex().upper()
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        emit({"reader_atr": atr, "exchanges": results})
        return
    click.echo(f"ATR {atr}")
    for r in results:
        click.echo(f"{r['command']} -> {(r['data'] + ' ') if r['data'] else ''}{r['sw']}")


@deprecated_alias("--json-errors", "--json")
@card.command("read")
@click.option("--reader", default=None, help="Reader holding the user card (name or unique part).")
@click.option("--psam-reader", default=None, help="Reader holding the PSAM.")
@click.option(
    "--emulated",
    "emulated_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Card image: without --reader the user card is read in process; with --reader it only "
    "supplies the emulated PSAM (its CARD.psam.json, or the file itself if it is a PSAM image).",
)
@click.option(
    "--psam-image",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Use this PSAM image in process.",
)
@click.option("--psam-pin", default=DEFAULT_PSAM_PIN, show_default=True, help="PSAM PIN (digits).")
@click.option(
    "--issuer-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Issuer SM2 public key (PEM) to check the card's signature; or a kit key file (JSON).",
)
@click.option("--no-ef08", is_flag=True, help="Skip EF08 (validity, phones, payment methods).")
@click.option(
    "--photo",
    "photo_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also read EF07 (photo) and write the image to this file.",
)
@click.option("-v", "--verbose", count=True)
@json_option()
def read(
    reader: str | None,
    psam_reader: str | None,
    emulated_file: Path | None,
    psam_image: Path | None,
    psam_pin: str,
    issuer_key: Path | None,
    no_ef08: bool,
    photo_out: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Run the reference terminal's chip-card read (PSAM authentication, signature check) and print JSON."""
    from card_emulators.personalise import load_card
    from card_emulators.readers.chipcard import ChipCardReader, ReaderConfig
    from card_emulators.transports.pcsc import PcscTransport
    from ehc.gm import SM2PublicKey

    _setup_logging(verbose)
    if emulated_file is None and psam_image is None and psam_reader is None:
        raise click.UsageError("name the PSAM's reader (--psam-reader) or give a PSAM image (--psam-image)")
    opened: list[PcscTransport] = []
    try:
        public = None
        if issuer_key is not None:
            text = issuer_key.read_bytes()
            if text.lstrip().startswith(b"{"):
                public = _keys_from_file(issuer_key)[1].public_key
            else:
                public = SM2PublicKey.from_pem(text)
        emulated = load_card(emulated_file) if emulated_file is not None else None
        emulated_is_psam = getattr(emulated, "personality", "") == "psam"
        if emulated is not None and reader is None and not emulated_is_psam:
            emulated.powerUp()  # the user card itself, in process
            card_tx, atr = emulated.transmit, emulated.getATR()
        else:
            conn = PcscTransport(reader)
            opened.append(conn)
            card_tx, atr = conn.transmit, conn.atr
        if psam_reader is not None:
            psam_conn = PcscTransport(psam_reader)
            opened.append(psam_conn)
            psam_tx = psam_conn.transmit
        else:
            if psam_image is not None:
                psam = load_card(psam_image)
            elif emulated is not None and emulated_is_psam:
                psam = emulated
            else:
                assert emulated_file is not None  # checked above
                psam = load_card(emulated_file.with_suffix(".psam.json"))
            psam.powerUp()
            psam_tx = psam.transmit
        config = ReaderConfig(
            issuer_public_key=public,
            psam_pin=psam_pin,
            read_ef08=not no_ef08,
            read_photo=photo_out is not None,
            require_signature=False,
        )
        result = ChipCardReader(card_tx, psam_tx, atr, config).read()
    except EhcError as err:
        fail(err, as_json)
    finally:
        for c in opened:
            c.close()
    if photo_out is not None and result.photo is not None:
        photo_out.write_bytes(result.photo)
    emit(result.to_dict())
    if result.signature_valid is False:
        sys.exit(4)  # 1 = error, 2 = usage (click), 4 = read but not authentic


# ------------------------------------------------------------------------------------ other readers
@deprecated_alias("--json-errors", "--json")
@card.command("scan")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--wedge", is_flag=True, help="Type the text + Enter on stdout, as a keyboard-wedge scanner does."
)
@click.option("--enter", type=click.Choice(["CR", "LF", "CRLF"]), default="CR", show_default=True)
@click.option("--caps-lock", is_flag=True, help="Simulate caps lock on at the host (letter case inverted).")
@click.option("--char-delay", type=float, default=0.0, help="Seconds between keystrokes in --wedge mode.")
@json_option()
def scan(image: Path, wedge: bool, enter: str, caps_lock: bool, char_delay: float, as_json: bool) -> None:
    """QR scanner: decode IMAGE; print the reader output as JSON, or type it like a wedge scanner."""
    from card_emulators.readers.qr_scanner import scan_image
    from card_emulators.readers.wedge import type_into

    try:
        read = scan_image(str(image))
    except EhcError as err:
        fail(err, as_json)
    if wedge:
        type_into(sys.stdout, read.identifier, enter=enter, caps_lock=caps_lock, char_delay=char_delay)
        return
    emit({"medium": read.medium, "identifier": read.identifier, **read.raw})


@card.command("wedge-check")
@click.argument("stream", type=click.File("rb"), default="-")  # bytes: CR and LF must survive
@click.option("--expected-enter", type=click.Choice(["CR", "LF", "CRLF"]), default=None)
@click.option("--opaque", is_flag=True, help="Accept any text (no national QR form check).")
@always_json_option()
def wedge_check(stream: Any, expected_enter: str | None, opaque: bool) -> None:
    """Diagnose a captured keyboard-wedge stream (file or stdin): one JSON line per scan; exit 1 on faults."""
    from card_emulators.readers.wedge import national_qr_form, parse_wedge_stream

    text = stream.read().decode("utf-8", errors="replace")
    scans = parse_wedge_stream(
        text, validator=None if opaque else national_qr_form, expected_enter=expected_enter
    )
    for scan_ in scans:
        emit(scan_.to_dict())
    if any(not s.ok for s in scans):
        sys.exit(1)


@deprecated_alias("--output", "--out")
@deprecated_alias("--json-errors", "--json")
@card.command("simulate")
@click.argument("kind", type=click.Choice(["idcard", "idcard-block", "ssc"]))
@click.option(
    "--person", "person_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--person-id", default=None)
@click.option(
    "-o",
    "--out",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File (required for idcard-block, which is binary).",
)
@json_option()
def simulate(kind: str, person_file: Path, person_id: str | None, output: Path | None, as_json: bool) -> None:
    """What an ID-card reader (JSON record or 256-byte text block) or a social-security-card reader
    (`|` record) would output for a person - input for testing an HIS's parser."""
    from card_emulators.readers import idcard, sscard

    try:
        person = _read_person(person_file, person_id)
        if kind == "ssc":
            data: str | bytes = sscard.format_record(sscard.simulate_from_person(person)) + "\n"
        elif kind == "idcard":
            data = idcard.simulate_from_person(person).to_json() + "\n"
        else:
            if output is None:
                raise click.UsageError("idcard-block is binary: give -o FILE")
            data = idcard.encode_text_block(idcard.simulate_from_person(person))
    except EhcError as err:
        fail(err, as_json)
    if output is not None:
        output.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    else:
        click.echo(data, nl=False)


@deprecated_alias("--json-errors", "--json")
@card.command("parse")
@click.argument("kind", type=click.Choice(["idcard", "idcard-block", "ssc"]))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option()
def parse(kind: str, source: Path, as_json: bool) -> None:
    """Check a reader output file as the reference terminal does and print the medium read."""
    from card_emulators.readers import idcard, sscard

    try:
        if kind == "ssc":
            read = sscard.read_ssc(source.read_text(encoding="utf-8").strip("\r\n"))
        elif kind == "idcard":
            read = idcard.read_id_card(source.read_text(encoding="utf-8"))
        else:
            read = idcard.read_id_card(source.read_bytes())
    except (EhcError, UnicodeDecodeError) as err:
        if isinstance(err, UnicodeDecodeError):
            from card_emulators.readers.errors import IDCARD_BAD_RECORD, SSC_BAD_RECORD

            err = EhcError(SSC_BAD_RECORD if kind == "ssc" else IDCARD_BAD_RECORD, "file is not UTF-8 text")
        fail(err, as_json)
    emit({"medium": read.medium, "identifier": read.identifier, "fields": read.raw})
