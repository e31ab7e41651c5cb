"""Shared by the benchmarks: a demo store of a given size, kept in .bench/ between runs,
and a timer of calls from several threads."""

from __future__ import annotations

import math
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

def free_port() -> int:
    """A free TCP port on loopback, for a server the benchmark starts."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


EVENTS_PER_PRACTICE = 55  # what the demo makes on average (measured), to size the store


def demo_store(target_events: int, seed: int = 1, regenerate: bool = False) -> tuple[Path, int]:
    """A store made by the demo generator with at least `target_events` events."""
    from adapters.bootstrap import Settings, init_data_dir, open_lifecycle
    from adapters.demo import DEMO_START, DemoScenario
    from domain.clock import ManualClock

    practices = min(20_000, math.ceil(target_events / EVENTS_PER_PRACTICE * 1.05))
    store = ROOT / ".bench" / f"projections-{practices}-{seed}"
    marker = store / "complete"
    if regenerate and store.exists():
        shutil.rmtree(store)
    if not marker.exists():
        if store.exists():
            shutil.rmtree(store)
        settings = Settings(data_dir=store)
        init_data_dir(settings)
        app = open_lifecycle(settings, clock=ManualClock(DEMO_START))
        print(f"generating the store with the demo: {practices} practices, seed {seed} ...",
              flush=True)
        started = time.perf_counter()
        summary = DemoScenario(app, practices, seed).run()
        app.close()
        print(f"  {summary.events:,} events in {time.perf_counter() - started:.0f} s", flush=True)
        marker.write_text(str(summary.events))
    events = int(marker.read_text())
    if events < target_events:
        raise SystemExit(f"the demo made {events:,} events, fewer than {target_events:,}; "
                         "raise EVENTS_PER_PRACTICE's margin")
    return store, events


def measure(call, requests: int, concurrency: int) -> dict[str, float]:
    """Call `call` `requests` times from `concurrency` threads: p50, p99, per second."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker() -> None:
        mine = []
        for _ in range(per_thread):
            begin = time.perf_counter()
            call()
            mine.append(time.perf_counter() - begin)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
            "per_s": round(len(ordered) / elapsed)}
