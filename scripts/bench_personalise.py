"""Benchmark: personalise virtual cards through a real pcscd (vpcd reader), 50 in each
mode: our supplier's blank cards and factory-fresh PIV cards (default 3DES key, chip
serial).

Per card: APDUs and bytes exchanged, and the wall time of the whole personalisation
split into on-card key generation, certificate issuance (the CA signing and the
store recording it), and the rest: the card talk with the store's other writes
(creation started, activated) (median and p95). Baseline in the same run: one
SELECT round trip through pyscard, pcscd and vpcd; the card talk is compared with
that many round trips.

Then the workstation helper (ZORG-ID Werkplek) as an employee meets it: the API under
uvicorn, the helper's own pages under uvicorn, and for each of 20 card creations the
pairing code posted to the helper's page as the "Verder" click does; measured is the
time from that click to the first APDU reaching the card (the helper exchanging the
code, checking the job at the API and connecting to the reader), p50 and p95, against
the 0.5 s target.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import (  # noqa: E402
    Settings,
    create_master_secret,
    init_data_dir,
    open_lifecycle,
    read_master_secret,
)
from adapters.pki.ca import CardCA  # noqa: E402
from adapters.pki.card_keys import management_key  # noqa: E402
from adapters.reader.agent import personalise  # noqa: E402
from adapters.reader.apdu import CommandApdu  # noqa: E402
from adapters.reader.pcsc import PcscTransport, PcscUnavailable, list_readers  # noqa: E402
from adapters.reader.personalise import MANAGEMENT_ALGORITHM  # noqa: E402
from adapters.reader.piv import PIV_AID  # noqa: E402
from adapters.reader.virtual_card import VirtualPivCard  # noqa: E402
from adapters.reader.vpcd import serve_vpcd  # noqa: E402
from domain.identity import Actor, UziPass  # noqa: E402

READER = "Virtual PCD 00 00"
MODES = ("supplier", "factory")  # our supplier's blank cards; factory-fresh PIV cards


def ensure_pcscd() -> subprocess.Popen[bytes] | None:
    try:
        if READER in list_readers():
            return None
    except PcscUnavailable:
        pass
    process = subprocess.Popen([shutil.which("pcscd") or "/usr/sbin/pcscd", "-f"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(PcscUnavailable):
            if READER in list_readers():
                return process
        time.sleep(0.1)
    raise SystemExit("pcscd did not offer the virtual reader (scripts/setup.sh --test)")


class Inserted:
    def __init__(self, card: VirtualPivCard) -> None:
        self.stop = threading.Event()
        self.sock: socket.socket | None = None
        self.thread = threading.Thread(target=serve_vpcd, args=(card,), daemon=True, kwargs={
            "should_stop": self.stop.is_set, "on_connect": self._connected})
        self.thread.start()

    def _connected(self, sock: socket.socket) -> None:
        self.sock = sock

    def pull(self) -> None:
        self.stop.set()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        time.sleep(0.6)  # pcscd's presence poll notices the card went


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_helper(scratch: Path, settings: Settings, authority: CardCA, secret: bytes,
                   ura: str, admin: UziPass, count: int) -> list[float]:
    """Seconds from the click on the helper's "Verder" to the first APDU at the card."""
    import httpx
    import uvicorn

    from adapters.bootstrap.card_ca import CardWorkshop
    from adapters.http.app import create_app
    from adapters.http.job_tokens import pairing_code
    from adapters.workstation.helper import Helper
    from adapters.workstation.readers import PcscReaders
    from adapters.workstation.web import create_helper_app
    from domain.clock import SystemClock

    api = create_app(settings, workshop=CardWorkshop(authority, secret))
    app = api.state.lifecycle
    serials = [f"ZIDBH{i:07d}" for i in range(count)]
    app.ship_order(app.place_order(ura, count, "bench-helper", admin), serials,
                   Actor.system("fulfilment"))
    servers = []

    def serve(asgi: object) -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(asgi, port=port, log_level="warning",
                                               lifespan="off"))
        threading.Thread(target=server.run, daemon=True).start()
        servers.append(server)
        while not server.started:
            time.sleep(0.01)
        return port

    api_url = f"http://127.0.0.1:{serve(api)}"
    helper = Helper(api_url, PcscReaders(), SystemClock(), "bench-pc", reader_filter=READER)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_helper_app(helper, port), port=port,
                                           log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    servers.append(server)
    while not server.started:
        time.sleep(0.01)
    origin = f"http://127.0.0.1:{port}"
    delays = []
    with httpx.Client(base_url=origin, headers={"Origin": origin}) as browser:
        for index, serial in enumerate(serials):
            holder = UziPass(uzi_number=f"{710000000 + index}", card_type="N", ura=ura,
                             role="00.000", given_name="Bench", surname=f"Werkplek {index}",
                             not_before=admin.not_before, not_after=admin.not_after)
            started = app.start_card_creation(serial, holder)
            code = pairing_code(api.state.job_secret, started.job_id)
            card = VirtualPivCard.blank(scratch / f"{serial}.json", serial,
                                        MANAGEMENT_ALGORITHM,
                                        management_key(secret, serial, False))
            first: list[float] = []
            process = card.process

            def seen(raw: bytes, process=process, first=first) -> bytes:
                if not first:
                    first.append(time.perf_counter())
                return process(raw)

            card.process = seen  # type: ignore[method-assign]
            inserted = Inserted(card)
            time.sleep(0.8)  # the card sits in the reader before the employee clicks
            click = time.perf_counter()
            answer = browser.post("/pair", data={"code": code})
            assert answer.status_code in (200, 303), answer.text[:300]
            assert helper.session is not None and helper.session.state == "ready", (
                helper.session and helper.session.error)
            delays.append(first[0] - click)
            helper.session = None  # the next employee (this one's PIN is never asked)
            inserted.pull()
    for server in servers:
        server.should_exit = True
    app.close()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=50)
    parser.add_argument("--helper-cards", type=int, default=20)
    args = parser.parse_args()
    daemon = ensure_pcscd()
    scratch = Path(tempfile.mkdtemp(prefix="zorgid-bench-cards-"))
    try:
        settings = Settings(data_dir=scratch / "data")
        init_data_dir(settings)
        create_master_secret(settings.master_key_path)
        secret = read_master_secret(settings)
        now = dt.datetime.now(dt.UTC)
        authority = CardCA.create(settings.ca_dir, b"bench", now - dt.timedelta(days=1))
        app = open_lifecycle(settings)
        ura = "60000001"
        admin = UziPass(uzi_number="800000001", card_type="Z", ura=ura, role="01.015",
                        given_name="Bench", surname="Admin", not_before=now - dt.timedelta(1),
                        not_after=now + dt.timedelta(days=900))
        app.register_practice(ura, "Benchpraktijk", "huisartsenpraktijk", admin)
        serials = {mode: [f"ZIDB{mode[0].upper()}{i:07d}" for i in range(args.cards)]
                   for mode in MODES}
        chips = {"supplier": [None] * args.cards,
                 "factory": [f"yubico:{5_000_000 + i}" for i in range(args.cards)]}
        for mode in MODES:
            app.ship_order(app.place_order(ura, args.cards, f"bench-{mode}", admin),
                           serials[mode], Actor.system("fulfilment"), chips[mode])

        # the baseline: one SELECT round trip through pyscard, pcscd and vpcd
        probe = Inserted(VirtualPivCard.blank(scratch / "probe.json", "ZIDPROBE0001",
                                              MANAGEMENT_ALGORITHM, bytes(16)))
        transport = PcscTransport.wait_for_card(READER, 20)
        select = CommandApdu(0, 0xA4, 4, 0, PIV_AID, 256).encode()
        trips = []
        for _ in range(200):
            begin = time.perf_counter()
            transport.send_and_receive(select)
            trips.append(time.perf_counter() - begin)
        transport.close()
        probe.pull()
        round_trip = statistics.median(trips)

        measured: dict[str, dict[str, list[float]]] = {}
        person = 0
        for mode in MODES:
            runs: dict[str, list[float]] = {k: [] for k in (
                "total", "key_generation", "card_talk", "issuance", "apdus", "bytes")}
            for index, serial in enumerate(serials[mode]):
                if mode == "factory":
                    card = VirtualPivCard.factory(scratch / f"{serial}.json", 5_000_000 + index)
                else:
                    card = VirtualPivCard.blank(scratch / f"{serial}.json", serial,
                                                MANAGEMENT_ALGORITHM,
                                                management_key(secret, serial, False))
                inserted = Inserted(card)
                transport = PcscTransport.wait_for_card(READER, 20)
                person += 1
                holder = UziPass(uzi_number=f"{700000000 + person}", card_type="N", ura=ura,
                                 role="00.000", given_name="Bench",
                                 surname=f"Medewerker {person}",
                                 not_before=now - dt.timedelta(days=1),
                                 not_after=now + dt.timedelta(days=900))
                begin = time.perf_counter()
                result = personalise(app, transport, holder, secret, authority, "482915",
                                     "73920184")
                total = time.perf_counter() - begin
                transport.close()
                inserted.pull()
                runs["total"].append(total)
                runs["key_generation"].append(result.timings.key_generation)
                runs["issuance"].append(result.timings.issuance)
                runs["card_talk"].append(total - result.timings.key_generation
                                         - result.timings.issuance)
                runs["apdus"].append(result.apdus)
                runs["bytes"].append(result.bytes)
            measured[mode] = runs
        app.close()
        helper_delays = measure_helper(scratch, settings, authority, secret, ura, admin,
                                       args.helper_cards)
    finally:
        gc.collect()  # pyscard releases its contexts when collected: before pcscd goes
        if daemon is not None:
            daemon.terminate()
            daemon.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)

    figures: dict[str, float] = {"cards_per_mode": args.cards,
                                 "round_trip_ms": round(round_trip * 1000, 3)}
    for mode, runs in measured.items():
        figures[f"{mode}_apdus_per_card"] = statistics.median(runs["apdus"])
        figures[f"{mode}_bytes_per_card"] = statistics.median(runs["bytes"])
        for name in ("total", "key_generation", "card_talk", "issuance"):
            figures[f"{mode}_{name}_p50_ms"] = round(statistics.median(runs[name]) * 1000, 1)
            figures[f"{mode}_{name}_p95_ms"] = round(percentile(runs[name], 0.95) * 1000, 1)
        beyond = [t - k for t, k in zip(runs["total"], runs["key_generation"], strict=True)]
        figures[f"{mode}_beyond_key_generation_p50_ms"] = round(
            statistics.median(beyond) * 1000, 1)
        figures[f"{mode}_beyond_key_generation_p95_ms"] = round(
            percentile(beyond, 0.95) * 1000, 1)
        figures[f"{mode}_card_talk_vs_round_trips"] = round(
            figures[f"{mode}_card_talk_p50_ms"]
            / (figures[f"{mode}_apdus_per_card"] * figures["round_trip_ms"]), 2)
    for mode in measured:
        print(f"{mode} cards ({args.cards}) through pcscd: "
              f"{figures[f'{mode}_apdus_per_card']:.0f} APDUs and "
              f"{figures[f'{mode}_bytes_per_card']:.0f} bytes per card")
        for name in ("total", "key_generation", "card_talk", "issuance",
                     "beyond_key_generation"):
            print(f"  {name:<22} p50 {figures[f'{mode}_{name}_p50_ms']:>7.1f} ms   "
                  f"p95 {figures[f'{mode}_{name}_p95_ms']:>7.1f} ms")
        print(f"  card talk is {figures[f'{mode}_card_talk_vs_round_trips']:.2f}x as many "
              "SELECT round trips as it sends APDUs")
    figures["helper_click_to_first_apdu_p50_ms"] = round(
        statistics.median(helper_delays) * 1000, 1)
    figures["helper_click_to_first_apdu_p95_ms"] = round(
        percentile(helper_delays, 0.95) * 1000, 1)
    figures["helper_click_to_first_apdu_p95_vs_target"] = round(
        figures["helper_click_to_first_apdu_p95_ms"] / 500, 3)
    print(f"workstation helper ({len(helper_delays)} creations): from the click on Verder "
          f"to the first APDU p50 {figures['helper_click_to_first_apdu_p50_ms']:.1f} ms, "
          f"p95 {figures['helper_click_to_first_apdu_p95_ms']:.1f} ms "
          f"({figures['helper_click_to_first_apdu_p95_vs_target']:.2f}x the 500 ms target)")
    print(f"baseline: a SELECT round trip takes {figures['round_trip_ms']:.3f} ms")
    print(json.dumps({"benchmark": "personalise", **figures}))


if __name__ == "__main__":
    main()
