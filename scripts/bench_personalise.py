"""Benchmark: personalise virtual cards through a real pcscd (vpcd reader), 50 in each
mode: our supplier's blank cards and factory-fresh PIV cards (default 3DES key, chip
serial).

Per card: APDUs and bytes exchanged, and the wall time of the whole personalisation
split into on-card key generation, certificate issuance (the CA signing and the
store recording it), and the rest: the card talk with the store's other writes
(creation started, activated) (median and p95). Baseline in the same run: one
SELECT round trip through pyscard, pcscd and vpcd; the card talk is compared with
that many round trips.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=50)
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
    print(f"baseline: a SELECT round trip takes {figures['round_trip_ms']:.3f} ms")
    print(json.dumps({"benchmark": "personalise", **figures}))


if __name__ == "__main__":
    main()
