"""A vendor's view: a typed Python client generated from /openapi.json alone (with
openapi-python-client, a maintained generator) drives a manager's flow against a running
`zorgid serve`: register the practice, order blank cards, see the order shipped by the
fulfilment service, read the invoice, appoint a beheerder, invite an employee."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import signal
import subprocess
import sys
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives import serialization

from adapters.pki.certificates import Holder
from adapters.pki.hierarchy import TEST_CA_OIDS, UziTestHierarchy
from tests.conftest import free_port
from tests.support import wait_for_health, zorgid_command

URA = "90000382"


def zorgid(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    return subprocess.run([*zorgid_command(), *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_client_generated_from_the_contract_drives_a_manager_flow(tmp_path):
    data = tmp_path / "data"
    assert zorgid("init", "--data-dir", str(data)).returncode == 0
    token = zorgid("tokens", "create", "--data-dir", str(data), "--role", "fulfilment")
    pki = UziTestHierarchy()
    now = dt.datetime.now(dt.UTC)
    doctor = pki.issue_pass(Holder("900016528", "Z", URA, "01.015", "00000000", "Huib",
                                   "Arts", "Praktijk"), now - dt.timedelta(days=1),
                            now + dt.timedelta(days=300))
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                 for c in [pki.root, *pki.intermediates]))
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")},
           "ZORGID_TRUST_ANCHORS": str(anchors), "ZORGID_TRUSTED_PROXIES": "127.0.0.1",
           "ZORGID_UZI_CA_OIDS": f"Z={TEST_CA_OIDS['Z']},N={TEST_CA_OIDS['N']}"}
    server = subprocess.Popen([*zorgid_command(), "serve", "--data-dir", str(data), "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, server, 60)
        (tmp_path / "openapi.json").write_text(httpx.get(f"{base}/openapi.json").text)
        generated = subprocess.run(
            [sys.executable, "-m", "openapi_python_client", "generate", "--path",
             str(tmp_path / "openapi.json"), "--meta", "none", "--output-path",
             str(tmp_path / "zorgid_client")], capture_output=True, text=True, timeout=120)
        assert (tmp_path / "zorgid_client" / "api").is_dir(), generated.stdout[-2000:]
        sys.path.insert(0, str(tmp_path))
        try:
            _drive(base, doctor, token.stdout.strip())
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.startswith("zorgid_client")]:
                del sys.modules[name]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)


def _drive(base: str, doctor, service_token: str) -> None:
    client = importlib.import_module("zorgid_client")
    api = "zorgid_client.api"
    models = importlib.import_module("zorgid_client.models")
    certificate = quote(doctor.certificate.public_bytes(serialization.Encoding.PEM).decode())
    # the client certificate, as the TLS proxy forwards it, in the documented header
    manager = client.AuthenticatedClient(base_url=base, token=certificate, prefix="",
                                         auth_header_name="X-SSL-Client-Cert")
    fulfilment = client.AuthenticatedClient(base_url=base, token=service_token)

    def call(module: str, *args, **kwargs):
        return importlib.import_module(f"{api}.{module}").sync_detailed(*args, **kwargs)

    registered = call("practices.register", client=manager, body=models.RegisterPracticeRequest(
        ura=URA, name="Huisartsenpraktijk Noord",
        kind=models.RegisterPracticeRequestKind.HUISARTSENPRAKTIJK))
    assert registered.status_code == 201 and registered.parsed.ura == URA
    placed = call("practices.place_order", URA, client=manager,
                  body=models.PlaceOrderRequest(quantity=2), idempotency_key="webshop-7")
    assert placed.status_code == 201
    order = placed.parsed
    assert order.total_cents == 2 * 7500 + 695 + 3296  # integer cents, VAT included
    shipped = call("service.ship", order.order_id, client=fulfilment,
                   body=models.ShipmentRequest(card_serials=["ZID000000701",
                                                             "ZID000000702"]))
    assert shipped.status_code == 204
    orders = call("practices.list_orders", URA, client=manager)
    assert [o.status.value for o in orders.parsed] == ["shipped"]
    period = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    invoices = call("service.list_invoices", client=manager, period=period, ura=URA)
    assert invoices.status_code == 200
    [invoice] = invoices.parsed
    assert invoice.total_cents == order.total_cents and len(invoice.lines) == 2
    appointed = call("practices.appoint", URA, client=manager,
                     body=models.AppointManagerRequest(
                         uzi_number="900020009", name="Bea Beheer",
                         role=models.AppointManagerRequestRole.BEHEERDER))
    assert appointed.status_code == 201 and appointed.parsed.role.value == "beheerder"
    invited = call("practices.invite_to_link", URA, client=manager,
                   body=models.LinkInvitationRequest(uzi_number="900020001"))
    assert invited.status_code == 201 and invited.parsed.status.value == "invited"
    refused = call("practices.place_order", URA, client=manager,
                   body=models.PlaceOrderRequest(quantity=3), idempotency_key="webshop-7")
    assert refused.status_code == 409 and refused.parsed.code == "idempotency_key_reused"
