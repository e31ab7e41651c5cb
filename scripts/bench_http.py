"""Benchmark: the HTTP API's two busiest reads against a bare server doing the same.

A demo store (kept in .bench/) with at least --cards cards is copied, its views are
built, and `zorgid serve` runs on it. A manager's client certificate (from a test
UZI hierarchy, forwarded as the TLS proxy would) calls GET /v1/practices/{ura}/cards
and GET /v1/cards/{id} from --concurrency threads. The baseline, in the same run and
with the same client: `scripts/bare_card_app.py`, a minimal Starlette app under the same
server (uvicorn) doing exactly the view query of each route and nothing else; so the
ratio (`card_vs_bare_ratio`, `practice_cards_vs_bare_ratio`) is what our HTTP stack
costs beyond serving the query at all. Also, as extra lines: the same queries straight on
the SQLite view (`card_ratio`, `practice_cards_ratio`) and the end-to-end latency of a
revocation. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from benchlib import ROOT, demo_store, free_port, measure
from cryptography.hazmat.primitives import serialization

from adapters.bootstrap import Settings, open_lifecycle
from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from projections import cards as cards_view
from projections.runner import ApplicationSource, build_fresh, open_views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000, help="at least this many")
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="the demo store to use (the projections benchmark's)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    source, _ = demo_store(args.events)
    work = Path(tempfile.mkdtemp(prefix="zorgid-bench-http-"))
    data = work / "data"
    shutil.copytree(source, data)
    settings = Settings(data_dir=data)
    app = open_lifecycle(settings)
    build_fresh(settings.views_path, ApplicationSource(app))
    app.close()
    views = open_views(settings.views_path)
    total_cards = views.conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    if total_cards < args.cards:
        raise SystemExit(f"only {total_cards:,} cards; raise --events")
    ura, uzi, count = views.conn.execute(
        "SELECT l.ura, m.uzi_number, count(*) FROM card_links l JOIN practice_managers m "
        "ON m.ura = l.ura AND m.role = 'administrator' GROUP BY l.ura, m.uzi_number "
        "ORDER BY count(*) DESC LIMIT 1").fetchone()
    card_ids = [r[0] for r in views.conn.execute(
        "SELECT c.card_id FROM cards c JOIN card_links l USING (card_id) WHERE l.ura = ? "
        "AND c.status = 'active'", (ura,))]
    name = views.conn.execute("SELECT name FROM practice_managers WHERE uzi_number = ?",
                              (uzi,)).fetchone()[0]
    pki = UziTestHierarchy()
    issued = pki.issue_pass(Holder(uzi, "Z", ura, "01.015", "00000000", *name.split(" ", 1),
                                   "Praktijk"),
                            dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
                            dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    anchors = work / "anchors.pem"
    anchors.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                 for c in [pki.root, *pki.intermediates]))
    header = {"X-SSL-Client-Cert": quote(issued.certificate.public_bytes(
        serialization.Encoding.PEM).decode())}
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")},
           "ZORGID_TRUST_ANCHORS": str(anchors), "ZORGID_TRUSTED_PROXIES": "127.0.0.1",
           "ZORGID_UZI_CA_OIDS": f"Z={TEST_CA_OIDS['Z']}"}
    server = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--data-dir",
                               str(data), "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=60)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("zorgid serve did not start") from None
                time.sleep(0.2)
        client = httpx.Client(base_url=base, headers=header, timeout=30,
                              limits=httpx.Limits(max_connections=args.concurrency))
        assert client.get(f"/v1/practices/{ura}/cards").status_code == 200
        now = dt.datetime.now(dt.UTC)
        results = {}
        one_card = card_ids[0]
        results["api_practice_cards"] = measure(
            lambda: client.get(f"/v1/practices/{ura}/cards").raise_for_status(),
            args.requests, args.concurrency)
        results["api_card"] = measure(
            lambda: client.get(f"/v1/cards/{one_card}").raise_for_status(),
            args.requests, args.concurrency)
        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "bare_card_app.py"),
                                 str(settings.views_path), str(bare_port)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            bare_client = httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=30,
                                       headers=header,  # the same bytes on the wire
                                       limits=httpx.Limits(max_connections=args.concurrency))
            deadline = time.monotonic() + 60
            while True:
                try:
                    bare_client.get(f"/v1/cards/{one_card}").raise_for_status()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or bare.poll() is not None:
                        raise SystemExit("the bare baseline server did not start") from None
                    time.sleep(0.2)
            results["bare_practice_cards"] = measure(
                lambda: bare_client.get(f"/v1/practices/{ura}/cards").raise_for_status(),
                args.requests, args.concurrency)
            results["bare_card"] = measure(
                lambda: bare_client.get(f"/v1/cards/{one_card}").raise_for_status(),
                args.requests, args.concurrency)
            bare_client.close()
        finally:
            bare.send_signal(signal.SIGTERM)
            bare.wait(15)
        local = threading.local()

        def db():
            if not hasattr(local, "db"):
                local.db = open_views(settings.views_path)
            return local.db

        results["view_practice_cards"] = measure(
            lambda: cards_view.cards_of_practice(db(), ura, now), args.requests,
            args.concurrency)
        results["view_card"] = measure(lambda: cards_view.card(db(), one_card, now),
                                       args.requests, args.concurrency)
        revocations = []
        for card_id in card_ids[1:21]:
            begin = time.perf_counter()
            client.post(f"/v1/cards/{card_id}/revocation",
                        json={"reason": "defect"}).raise_for_status()
            revocations.append(time.perf_counter() - begin)
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{total_cards:,} cards in the views; practice {ura} with {count} linked cards; "
          f"{args.concurrency} concurrent clients, {args.requests} requests per query")
    for query in ("practice_cards", "card"):
        api, bare = results[f"api_{query}"], results[f"bare_{query}"]
        print(f"  {query:<15} API p50 {api['p50_ms']:.2f} ms p99 {api['p99_ms']:.2f} ms "
              f"{api['per_s']}/s | bare Starlette p50 {bare['p50_ms']:.2f} ms p99 "
              f"{bare['p99_ms']:.2f} ms {bare['per_s']}/s | ratio "
              f"{api['per_s'] / bare['per_s']:.3f}")
    for query in ("practice_cards", "card"):
        api, view = results[f"api_{query}"], results[f"view_{query}"]
        print(f"  {query:<15} API p50 {api['p50_ms']:.2f} ms p99 {api['p99_ms']:.2f} ms "
              f"{api['per_s']}/s | view p50 {view['p50_ms']:.3f} ms p99 {view['p99_ms']:.3f} ms "
              f"{view['per_s']}/s | ratio {api['per_s'] / view['per_s']:.3f}")
    revocation = {"p50_ms": round(statistics.median(revocations) * 1000, 2),
                  "max_ms": round(max(revocations) * 1000, 2)}
    print(f"  revocation end to end: p50 {revocation['p50_ms']} ms, max {revocation['max_ms']} ms")
    print(json.dumps({"benchmark": "http", "cards": total_cards, "practice_cards": count,
                      **{f"{k}_{m}": v for k, r in results.items() for m, v in r.items()},
                      "card_vs_bare_ratio": round(results["api_card"]["per_s"]
                                                  / results["bare_card"]["per_s"], 3),
                      "practice_cards_vs_bare_ratio": round(
                          results["api_practice_cards"]["per_s"]
                          / results["bare_practice_cards"]["per_s"], 3),
                      "practice_cards_ratio": round(results["api_practice_cards"]["per_s"]
                                                    / results["view_practice_cards"]["per_s"], 3),
                      "card_ratio": round(results["api_card"]["per_s"]
                                          / results["view_card"]["per_s"], 3),
                      "revocation_p50_ms": revocation["p50_ms"],
                      "revocation_max_ms": revocation["max_ms"]}))


if __name__ == "__main__":
    main()
