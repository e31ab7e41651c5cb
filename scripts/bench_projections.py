"""Benchmark: a full rebuild of every read model against the floor.

1. A store of at least --events events (default 1,000,000), made with the demo
   generator and kept in .bench/ for later runs (--regenerate makes it anew).
2. The floor: read the same rows with plain sqlite3, decrypt and JSON-decode their
   payloads, nothing else.
3. The rebuild: `Projector.rebuild` of all views from position 0.

Each runs in a fresh child process, over the first quarter of the store and over
all of it, so the peak memory (max RSS) of the rebuild can be compared across sizes:
it must not grow with the store. Prints events per second, the ratio
rebuild/floor, the peaks, and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import demo_store


def child_floor(store: Path, stop: int) -> dict[str, float]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = base64.b64decode((store / "cipher.key").read_text().strip())
    aesgcm = AESGCM(key)
    conn = sqlite3.connect(store / "events.sqlite3")
    started = time.perf_counter()
    count = 0
    cursor = conn.execute("SELECT rowid, topic, state FROM stored_events WHERE rowid <= ? "
                          "ORDER BY rowid", (stop,))
    while rows := cursor.fetchmany(1000):
        for _, _, state in rows:
            # the library's layout: 12-byte nonce, 16-byte tag, then the ciphertext
            plain = aesgcm.decrypt(state[:12], state[28:] + state[12:28], None)
            json.loads(plain)
            count += 1
    return {"seconds": time.perf_counter() - started, "events": count}


def child_rebuild(store: Path, stop: int) -> dict[str, float]:
    from adapters.bootstrap import Settings, open_lifecycle
    from projections.runner import ApplicationSource, build_fresh

    app = open_lifecycle(Settings(data_dir=store))
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        # what `zorgid project --rebuild` does
        count = build_fresh(Path(scratch) / "views.sqlite3", ApplicationSource(app), stop=stop)
        seconds = time.perf_counter() - started
    app.close()
    return {"seconds": seconds, "events": count}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: after fork and exec
    ru_maxrss still counts the parent's memory at the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(mode: str, store: Path, stop: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--store", str(store), "--stop", str(stop)],
        check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--child", choices=["floor", "rebuild"])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--stop", type=int)
    args = parser.parse_args()

    if args.child:
        result = (child_floor if args.child == "floor" else child_rebuild)(args.store, args.stop)
        result["max_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    store, total = demo_store(args.events, args.seed, args.regenerate)
    figures: dict[str, float] = {"events": total}
    for label, stop in (("quarter", total // 4), ("full", total)):
        floor = run_child("floor", store, stop)
        rebuild = run_child("rebuild", store, stop)
        floor_rate = floor["events"] / floor["seconds"]
        rebuild_rate = rebuild["events"] / rebuild["seconds"]
        print(f"{label}: {stop:,} events | floor {floor_rate:,.0f} events/s "
              f"({floor['seconds']:.1f} s) | rebuild {rebuild_rate:,.0f} events/s "
              f"({rebuild['seconds']:.1f} s) | ratio {rebuild_rate / floor_rate:.2f} | "
              f"rebuild peak RSS {rebuild['max_rss_mb']:.0f} MB", flush=True)
        figures.update({
            f"{label}_events": stop,
            f"{label}_floor_events_per_s": round(floor_rate),
            f"{label}_rebuild_events_per_s": round(rebuild_rate),
            f"{label}_ratio": round(rebuild_rate / floor_rate, 3),
            f"{label}_rebuild_peak_rss_mb": round(rebuild["max_rss_mb"], 1),
        })
    growth = figures["full_rebuild_peak_rss_mb"] / figures["quarter_rebuild_peak_rss_mb"]
    print(f"rebuild speed / floor speed: {figures['full_ratio']:.2f}; peak memory at 4x the "
          f"events: x{growth:.2f}")
    figures["peak_rss_growth"] = round(growth, 3)
    print(json.dumps({"benchmark": "projections", **figures}))


if __name__ == "__main__":
    main()
