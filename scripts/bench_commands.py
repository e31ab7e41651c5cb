"""Benchmark: commands through the whole card lifecycle versus bare eventsourcing.

1. Throughput. On one SQLite file (encrypted, as `zorgid init` configures it):
   10,000 cards through creation, certificates, activation, a second link (asked
   and approved) and revocation via CardLifecycle; then, on the same store in the same
   run, 10,000 bare
   `eventsourcing` aggregates doing the same saves (same events per save, a load before
   each save that changes an existing aggregate). Prints events per second for both
   and the ratio.
2. Append latency. On a second file, the latency of appending one event (a card
   command, and a bare save) when the store holds 10,000 events and again at 200,000:
   median and p99. They should stay flat.

Ends with one JSON line of the figures.
Usage: python scripts/bench_commands.py [--cards N] [--big N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from adapters.bootstrap import Settings, init_data_dir
from domain.application import CardLifecycle
from domain.card import IssuedCertificate
from domain.clock import ManualClock
from domain.identity import Actor, UziPass

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CA, AGENT, FULFILMENT = Actor.system("card-ca"), Actor.system("reader-agent"), \
    Actor.system("fulfilment")
PER_ORDER = 500


def uzi(number: int, card_type: str, ura: str) -> UziPass:
    return UziPass(uzi_number=f"{number:09d}", card_type=card_type, ura=ura,
                   role="01.015" if card_type == "Z" else "00.000", given_name="Bench",
                   surname=f"Persoon {number}", not_before=T0 - timedelta(days=30),
                   not_after=T0 + timedelta(days=3650))


class Bare(Aggregate):
    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n

    @event("Touched")
    def touch(self, step: int) -> None:
        self.n += step


class BareApp(Application):
    pass


def lifecycle_app(settings: Settings, clock: ManualClock) -> CardLifecycle:
    return CardLifecycle(env=settings.store_env(), clock=clock)


def run_lifecycles(app: CardLifecycle, cards: int) -> tuple[float, int]:
    """Set up practices and blank cards, then time the lifecycle of `cards` cards."""
    practices = max(2, -(-cards // PER_ORDER) + 1)
    uras = [f"{40000000 + i:08d}" for i in range(practices)]
    reps = [uzi(800000000 + i, "Z", ura) for i, ura in enumerate(uras)]
    for ura, rep in zip(uras, reps, strict=True):
        app.register_practice(ura, f"Bench {ura}", "huisartsenpraktijk", rep)
    work = []
    for index in range(cards):
        home = index // PER_ORDER
        work.append((f"ZIDB{index:08d}", uzi(700000000 + index, "N", uras[home]), home))
    for home in sorted({w[2] for w in work}):
        serials = [w[0] for w in work if w[2] == home]
        order = app.place_order(uras[home], len(serials), f"bench-{home}", reps[home])
        app.ship_order(order, serials, FULFILMENT)
    head = app.head()
    started = time.perf_counter()
    for serial, employee, home in work:
        other = (home + 1) % practices
        creation = app.start_card_creation(serial, employee)
        not_before, not_after = app.certificate_validity(creation.card_id)
        certs = [IssuedCertificate(slot, f"{home:04x}{slot}",
                                   hashlib.sha256(serial.encode() + slot.encode()).hexdigest(),
                                   not_after) for slot in ("9A", "9C")]
        app.record_certificates_issued(creation.card_id, creation.job_id, certs, not_before, CA)
        app.activate_card(creation.card_id, creation.job_id, AGENT)
        app.request_link(creation.card_id, uras[other], employee)  # R7: the holder asks,
        app.link_card(creation.card_id, uras[other], reps[other])  # a manager approves
        app.revoke_card(creation.card_id, "defect", employee)
    return time.perf_counter() - started, app.head() - head


# The saves one card's lifecycle makes, as events per save (measured from the log above).
LIFECYCLE_SAVES = [1, 1, 4, 1, 1, 2]


def run_bare(app: BareApp, count: int, saves: list[int]) -> tuple[float, int]:
    started = time.perf_counter()
    events = 0
    for index in range(count):
        thing = Bare(index)
        for _ in range(saves[0] - 1):
            thing.touch(1)
        app.save(thing)
        events += saves[0]
        for size in saves[1:]:
            thing = app.repository.get(thing.id)
            for _ in range(size):
                thing.touch(1)
            app.save(thing)
            events += size
    return time.perf_counter() - started, events


def fill(app: BareApp, target: int) -> None:
    """Bring the store to `target` events quickly: 500 new aggregates per save."""
    while (missing := target - (app.recorder.max_notification_id() or 0)) > 0:
        app.save(*[Bare(i) for i in range(min(500, missing))])


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def measure_latency(store: CardLifecycle, bare: BareApp, rep: UziPass, ura: str,
                    samples: int, tag: str) -> dict[str, float]:
    command, raw = [], []
    thing = Bare(0)
    bare.save(thing)
    for index in range(samples):
        begin = time.perf_counter()
        store.place_order(ura, 1, f"lat-{tag}-{index}", rep)
        command.append(time.perf_counter() - begin)
        thing.touch(1)
        begin = time.perf_counter()
        bare.save(thing)
        raw.append(time.perf_counter() - begin)
    (c50, c99), (r50, r99) = percentiles(command), percentiles(raw)
    return {"command_p50_ms": c50, "command_p99_ms": c99, "save_p50_ms": r50, "save_p99_ms": r99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the stores here.")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="zorgid-bench-"))

    # 1. throughput
    settings = Settings(data_dir=base / "throughput")
    init_data_dir(settings)
    clock = ManualClock(T0)
    ours = lifecycle_app(settings, clock)
    ours_seconds, ours_events = run_lifecycles(ours, args.cards)
    per_card = ours_events / args.cards
    assert per_card == sum(LIFECYCLE_SAVES), f"lifecycle changed: {per_card} events per card"
    bare = BareApp(env=settings.store_env())
    bare_seconds, bare_events = run_bare(bare, args.cards, LIFECYCLE_SAVES)
    ours_rate, bare_rate = ours_events / ours_seconds, bare_events / bare_seconds
    print(f"lifecycle: {args.cards} cards, {ours_events} events in {ours_seconds:.1f} s "
          f"= {ours_rate:,.0f} events/s ({args.cards / ours_seconds:,.0f} cards/s)")
    print(f"bare eventsourcing: {bare_events} events in {bare_seconds:.1f} s "
          f"= {bare_rate:,.0f} events/s")
    print(f"ratio lifecycle/bare: {ours_rate / bare_rate:.2f}")
    ours.close()
    bare.close()

    # 2. append latency at two store sizes
    settings = Settings(data_dir=base / "latency")
    init_data_dir(settings)
    store = lifecycle_app(settings, ManualClock(T0))
    bare = BareApp(env=settings.store_env())
    ura, rep = "41000000", uzi(810000000, "Z", "41000000")
    store.register_practice(ura, "Latency", "apotheek", rep)
    latency = {}
    for label, size in (("small", args.small), ("big", args.big)):
        fill(bare, size)
        stored = bare.recorder.max_notification_id()
        latency[label] = measure_latency(store, bare, rep, ura, args.samples, label)
        figures = latency[label]
        print(f"append latency at {stored:,} stored events: command p50 "
              f"{figures['command_p50_ms']:.2f} ms, p99 {figures['command_p99_ms']:.2f} ms; "
              f"bare save p50 {figures['save_p50_ms']:.2f} ms, p99 {figures['save_p99_ms']:.2f} ms")
    flat = latency["big"]["command_p50_ms"] / latency["small"]["command_p50_ms"]
    print(f"latency growth {args.small:,} -> {args.big:,} events (p50 ratio): {flat:.2f}")
    store.close()
    bare.close()

    print(json.dumps({
        "benchmark": "commands",
        "cards": args.cards,
        "lifecycle_events": ours_events,
        "lifecycle_events_per_s": round(ours_rate),
        "bare_events_per_s": round(bare_rate),
        "ratio": round(ours_rate / bare_rate, 3),
        "latency_small_events": args.small,
        "latency_big_events": args.big,
        **{f"{label}_{k}": round(v, 3) for label, f in latency.items() for k, v in f.items()},
        "latency_p50_growth": round(flat, 3),
    }))


if __name__ == "__main__":
    main()
