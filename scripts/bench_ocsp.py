"""Benchmark: the OCSP responder through `zorgid`'s HTTP app (uvicorn) against the same
certificate lookup straight on the view, in the same run.

A views database holds --certificates card certificates (a tenth revoked, a twentieth on
hold); --concurrency threads send DER OCSP requests for random serials to POST /ocsp and,
as the baseline, run the view query the responder runs. Then the same requests to a
second server whose card CA keeps its key in a SoftHSM2 token (made here by
scripts/softhsm-token.sh; the responder's key is then in the token too), against the PEM
key. Prints requests per second and p50/p99 for each and both ratios; ends with one JSON
line. --no-hsm leaves the token out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from benchlib import ROOT, free_port, measure
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from adapters.bootstrap import CardWorkshop, Settings, init_data_dir
from adapters.http.app import create_app
from adapters.pki.ca import CardCA, make_hierarchy
from adapters.pki.ocsp import _key_bits
from projections import certificates
from projections.runner import Projector, open_views

MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--hsm", action=argparse.BooleanOptionalAction, default=True,
                        help="also with the card CA's key in a SoftHSM2 token")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zorgid-bench-ocsp-"))
    server = None
    try:
        settings = Settings(data_dir=work / "data")
        init_data_dir(settings)
        now = dt.datetime.now(dt.UTC)
        authority = CardCA.create(work / "ca", b"bench passphrase", now - dt.timedelta(days=1))
        views = open_views(settings.views_path)
        Projector(views)  # the tables
        rng = random.Random(7)
        serials = [rng.getrandbits(63) | 1 for _ in range(args.certificates)]
        end = (now + dt.timedelta(days=900)).isoformat()
        rows = []
        for index, serial in enumerate(serials):
            status = "revoked" if index % 10 == 0 else "on_hold" if index % 20 == 5 \
                else "active"
            rows.append((format(serial, "x"), f"card-{index}", "9A", end, status,
                         now.isoformat(), "loss_or_theft" if status == "revoked" else None))
        with views.conn:
            views.conn.executemany("INSERT INTO card_certificates VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   rows)
        print(f"{args.certificates:,} certificates in the view", flush=True)
        sample = rng.sample(serials, min(500, len(serials)))
        results: dict[str, dict[str, float]] = {}
        served = [("ocsp_http", authority)]
        if args.hsm:
            served.append(("ocsp_http_hsm", hsm_authority(work, now)))
        for name, signer_of in served:
            server, client, via_http = serve(settings, signer_of, sample, rng,
                                             args.concurrency)
            try:
                measure(via_http, 200, args.concurrency)  # warm up
                results[name] = measure(via_http, args.requests, args.concurrency)
            finally:
                client.close()
                server.should_exit = True
        server = None
        local = threading.local()

        def on_view() -> None:
            if not hasattr(local, "db"):
                local.db = open_views(settings.views_path)
            certificates.certificate_status(local.db, format(rng.choice(sample), "x"))

        results["view_lookup"] = measure(on_view, args.requests, args.concurrency)
    finally:
        if server is not None:
            server.should_exit = True
        shutil.rmtree(work, ignore_errors=True)
    ratio = round(results["ocsp_http"]["per_s"] / results["view_lookup"]["per_s"], 3)
    for name, figures in results.items():
        print(f"  {name:<14} p50 {figures['p50_ms']:>7.3f} ms  p99 {figures['p99_ms']:>7.3f} ms"
              f"  {figures['per_s']:>6}/s")
    print(f"OCSP over HTTP vs the bare view lookup: {ratio}")
    extra = {}
    if "ocsp_http_hsm" in results:
        extra["hsm_vs_pem_ratio"] = round(results["ocsp_http_hsm"]["per_s"]
                                          / results["ocsp_http"]["per_s"], 3)
        print(f"key in SoftHSM2 vs the PEM key: {extra['hsm_vs_pem_ratio']}")
    print(json.dumps({"benchmark": "ocsp", "certificates": args.certificates,
                      **{f"{k}_{m}": v for k, f in results.items() for m, v in f.items()},
                      "ratio": ratio, **extra}))


def hsm_authority(work: Path, now: dt.datetime) -> CardCA:
    """A card CA whose key is made in a fresh SoftHSM2 token under `work`."""
    pin = secrets.token_hex(8)
    environment = {**os.environ, "ZORGID_PKCS11_PIN": pin}
    made = subprocess.run([str(ROOT / "scripts" / "softhsm-token.sh"), str(work / "hsm"),
                           "bench"], env=environment, capture_output=True, text=True,
                          check=True)
    os.environ["SOFTHSM2_CONF"] = made.stdout.strip().split("=", 1)[1]
    from adapters.pki.hsm import Pkcs11Signer, TokenKey

    signer = Pkcs11Signer.generate(TokenKey(MODULE, "bench", "card-ca"), pin, "rsa")
    return make_hierarchy(work / "ca-hsm", b"bench passphrase", now - dt.timedelta(days=1),
                          signer=signer).authority


def serve(settings: Settings, authority: CardCA, sample: list[int], rng: random.Random,
          concurrency: int) -> tuple[uvicorn.Server, httpx.Client, Callable[[], None]]:
    """zorgid's app for this card CA under uvicorn, and a call that asks it about one of
    the sample's serials."""
    name_hash = hashes.Hash(hashes.SHA1())
    name_hash.update(authority.certificate.subject.public_bytes())
    key_hash = hashes.Hash(hashes.SHA1())
    key_hash.update(_key_bits(authority.certificate))
    issuer_name, issuer_key = name_hash.finalize(), key_hash.finalize()
    requests = [ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuer_name, issuer_key, serial, hashes.SHA1()).build().public_bytes(
        serialization.Encoding.DER) for serial in sample]
    api = create_app(settings, workshop=CardWorkshop(authority))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port,
                                           log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                          limits=httpx.Limits(max_connections=concurrency))
    headers = {"Content-Type": "application/ocsp-request"}
    first = ocsp.load_der_ocsp_response(client.post("/ocsp", content=requests[0],
                                                    headers=headers).content)
    assert first.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL

    def via_http() -> None:
        answer = client.post("/ocsp", content=rng.choice(requests), headers=headers)
        assert answer.status_code == 200

    return server, client, via_http


if __name__ == "__main__":
    main()
