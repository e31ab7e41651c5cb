"""The portal's forms through the test client in --dev mode (the browser test covers
revocation in Chromium): linking, unlinking, starting one's own card, orders, errors."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from adapters.bootstrap import Settings, init_data_dir
from adapters.http.app import create_app
from adapters.http.dev_login import COOKIE, dev_cookie
from adapters.http.job_tokens import job_token, pairing_code
from domain.identity import Actor
from tests.support import (
    ASSISTANT_A,
    DOCTOR_A,
    DOCTOR_B,
    EMPLOYEE_B,
    URA_A,
    URA_B,
    create_card,
)


def identity(p) -> dict[str, str]:
    return {"uzi_number": p.uzi_number, "card_type": p.card_type.value, "ura": p.ura,
            "role": p.role, "given_name": p.given_name, "surname": p.surname}


@pytest.fixture
def portal(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    client = TestClient(create_app(settings, dev=True), follow_redirects=True)
    app = client.app.state.lifecycle
    for ura, rep in ((URA_A, DOCTOR_A), (URA_B, DOCTOR_B)):
        app.register_practice(ura, f"Praktijk {ura}", "huisartsenpraktijk", rep)
        app.ship_order(app.place_order(ura, 2, "k", rep),
                       [f"ZID{ura}01", f"ZID{ura}02"], Actor.system("fulfilment"))
    create_card(app, f"ZID{URA_B}01", EMPLOYEE_B)  # a locum's card from practice B

    def as_(person):
        client.cookies.set(COOKIE, dev_cookie(client.app.state.job_secret, identity(person)))
        return client

    return as_


def notice(page) -> str:
    found = re.search(r'id="(?:notice|error)">([^<]*)<', page.text)
    return found.group(1) if found else ""


def test_a_manager_links_and_unlinks_a_card_and_sees_orders(portal):
    client = portal(DOCTOR_A)
    page = client.get("/portal")
    assert page.status_code == 200 and "Bestellingen" in page.text
    assert "€\xa0189,91" in page.text  # 2 x 75.00 + 6.95, plus 21 % VAT, in Dutch form
    assert 'name="serial" placeholder="ZID000000001" required' not in page.text.split(
        "Koppelverzoeken")[1].split("Bestellingen")[0]  # no link-by-serial form any more
    # R7, the attack: a manager alone cannot link someone else's card by its serial
    taken = client.post(f"/portal/practices/{URA_A}/link", data={"serial": f"zid{URA_B}01"})
    assert notice(taken).startswith("Koppelen kan alleen met toestemming van beide kanten")
    assert "Eva Medewerker" not in taken.text
    # the locum asks practice A, and a manager there approves
    locum = portal(EMPLOYEE_B)
    mine = locum.get("/portal")
    card_id = re.search(r'data-my-card="([^"]+)"', mine.text).group(1)
    asked = locum.post(f"/portal/cards/{card_id}/link-requests", data={"ura": URA_A})
    assert notice(asked) == ("Uw verzoek is verstuurd. Een beheerder van de praktijk keurt "
                             "het goed.")
    assert f"Gevraagd bij Praktijk {URA_A} ({URA_A})" in asked.text
    client = portal(DOCTOR_A)
    requests = client.get("/portal")
    assert f'data-link-request="{card_id}"' in requests.text and "Eva Medewerker" in requests.text
    linked = client.post(f"/portal/cards/{card_id}/link-requests/{URA_A}/approve")
    assert notice(linked) == "De kaart is gekoppeld."
    assert f'data-card="{card_id}"' in linked.text  # the locum's card now shows at practice A
    unlinked = client.post(f"/portal/cards/{card_id}/unlink/{URA_A}")
    assert notice(unlinked) == "De kaart is ontkoppeld."
    unknown = client.post(f"/portal/practices/{URA_A}/link", data={"serial": "ZIDNOSUCH9"})
    assert notice(unknown) == "Er is geen kaart met dat serienummer."


def test_a_manager_invites_by_uzi_number_and_the_holder_accepts_or_declines(portal):
    client = portal(DOCTOR_A)
    invited = client.post(f"/portal/practices/{URA_A}/link-invitations",
                          data={"uzi_number": EMPLOYEE_B.uzi_number})
    assert notice(invited) == ("De uitnodiging is verstuurd. De kaart wordt gekoppeld zodra "
                               "de houder accepteert.")
    again = client.post(f"/portal/practices/{URA_A}/link-invitations",
                        data={"uzi_number": EMPLOYEE_B.uzi_number})
    assert notice(again) == "Deze persoon is al uitgenodigd om een kaart te koppelen."
    locum = portal(EMPLOYEE_B)
    page = locum.get("/portal")
    assert f"Uitnodiging van Praktijk {URA_A} ({URA_A})" in page.text
    accept = re.search(r'action="(/portal/cards/[^"/]+/links/' + URA_A + r')', page.text)
    accepted = locum.post(accept.group(1))
    assert notice(accepted) == "De kaart is gekoppeld."
    assert "Uitnodiging van" not in accepted.text
    # a second invitation, declined by the person
    portal(DOCTOR_A).post(f"/portal/cards/{accept.group(1).split('/')[3]}/unlink/{URA_A}")
    portal(DOCTOR_A).post(f"/portal/practices/{URA_A}/link-invitations",
                          data={"uzi_number": EMPLOYEE_B.uzi_number})
    declined = portal(EMPLOYEE_B).post(
        f"/portal/practices/{URA_A}/link-invitations/{EMPLOYEE_B.uzi_number}/end")
    assert notice(declined) == "De uitnodiging is beëindigd."
    assert "Uitnodiging van" not in declined.text


def test_an_employee_starts_their_card_and_watches_the_job(portal):
    client = portal(ASSISTANT_A)
    page = client.post("/portal/my-card", data={"serial": f"ZID{URA_A}01"})
    assert notice(page) == "De aanmaak is gestart."
    assert 'id="job"' in page.text and "wacht op de kaartlezer" in page.text
    assert 'http-equiv="refresh"' in page.text  # it follows the job by itself
    job_id = re.search(r"[?&]job=([0-9a-f-]{36})", str(page.url)).group(1)
    code = re.search(r'<p class="code" id="pairing-code">([^<]+)</p>', page.text).group(1)
    assert code == pairing_code(client.app.state.job_secret, UUID(job_id))
    token = job_token(client.app.state.job_secret, UUID(job_id))
    assert token not in page.text  # the token reaches the workstation helper, not the page
    assert "ZORG-ID Werkplek" in page.text and "15 minuten" in page.text
    # the helper takes the job with the code: the page then says which workstation has it
    taken = client.post("/v1/pairings", json={"code": code, "workstation": "balie-pc"})
    assert taken.status_code == 200, taken.text
    followed = client.get(f"/portal?job={job_id}")
    assert 'id="pairing-code"' not in followed.text
    assert "ZORG-ID Werkplek op balie-pc maakt nu uw kaart" in followed.text
    again = client.post("/portal/my-card", data={"serial": f"ZID{URA_B}02"})
    assert notice(again) == ("Deze blanco kaart is naar een andere praktijk gestuurd dan die "
                             "op uw UZI-pas.")
    stranger = portal(EMPLOYEE_B).get(f"/portal?job={job_id}")  # another employee
    assert 'id="job"' not in stranger.text and token not in stranger.text


def test_a_manager_cannot_create_a_card_and_is_told_in_dutch(portal):
    client = portal(DOCTOR_A)
    page = client.post("/portal/my-card", data={"serial": f"ZID{URA_A}02"})
    assert notice(page) == "Een kaart maakt u met uw eigen UZI-medewerkerspas op naam."
    english = client.post("/portal/my-card?lang=en", data={"serial": f"ZID{URA_A}02"})
    assert "card type N" in notice(english)


def test_a_host_grants_and_ends_guest_use_and_sees_invoices(portal):
    import datetime as dt

    client = portal(DOCTOR_A)
    today = dt.date.today()
    granted = client.post(f"/portal/practices/{URA_A}/guest-uses", data={
        "serial": f"ZID{URA_B}01", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=14)).isoformat()})
    assert notice(granted) == "Gastgebruik is toegekend."
    assert "Eva Medewerker" in granted.text and "Facturen" in granted.text
    assert f"{today.year}-000001" in granted.text  # practice A's shipment was invoiced
    overlapping = client.post(f"/portal/practices/{URA_A}/guest-uses", data={
        "serial": f"ZID{URA_B}01", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=3)).isoformat()})
    assert notice(overlapping) == "Er is al gastgebruik bij deze praktijk in die periode."
    use = re.search(r'action="(/portal/cards/[^"]+/end)', granted.text).group(1)
    ended = client.post(use.replace("&amp;", "&"))
    assert notice(ended) == "Gastgebruik is beëindigd."


def test_money_dates_and_months_read_as_people_here_read_them(portal):
    import datetime as dt

    client = portal(DOCTOR_A)
    page = client.get("/portal")
    today = dt.date.today()
    assert today.strftime("%d-%m-%Y") in page.text  # the order's date, dd-mm-yyyy
    assert today.isoformat() not in page.text
    months = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov",
              "dec")
    assert f">{months[today.month - 1]} {today.year}<" in page.text  # the chart's labels
    english = client.get("/portal?lang=en")
    assert "€189.91" in english.text and today.strftime("%d/%m/%Y") in english.text


def test_the_message_box_shows_only_what_the_portal_said(portal):
    client = portal(DOCTOR_A)
    forged = client.get("/portal?error=Bel+direct+0900-1234+en+geef+uw+pincode")
    assert notice(forged) == "" and "0900-1234" not in forged.text
    refused = client.post(f"/portal/practices/{URA_A}/link", data={"serial": "ZIDNOSUCH9"})
    assert notice(refused) == "Er is geen kaart met dat serienummer."
    token = re.search(r"error=([^&\"]+)", str(refused.url)).group(1)
    assert "serienummer" not in token  # the text travels signed, not as words to alter
    altered = client.get(f"/portal?error={token[:-2]}xx")
    assert notice(altered) == ""


def test_every_text_exists_in_dutch_and_english():
    from adapters.http.portal import TEXTS

    assert set(TEXTS["nl"]) == set(TEXTS["en"])


def test_a_form_posted_from_another_site_does_nothing(portal):
    """The browser presents the person's certificate (here: the demo cookie) whichever
    page starts the post, so a post another site started must be refused."""
    client = portal(EMPLOYEE_B)
    app = client.app.state.lifecycle
    card_id = app.get_card_by_serial(f"ZID{URA_B}01").id
    head = app.head()
    for forged in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                   {"Origin": "https://evil.example"}, {"Origin": "null"}):
        refused = client.post(f"/portal/cards/{card_id}/suspend", headers=forged)
        assert refused.url.path == "/portal"  # back on the page, with the reason, no JSON
        assert notice(refused).startswith("Dit formulier kwam niet van het portaal zelf.")
    assert app.head() == head
    page = client.post(f"/portal/cards/{card_id}/suspend",
                       headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})
    assert notice(page) == "De kaart is geschorst."
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_portal_acts_for_people_only_and_refuses_a_malformed_demo_login(portal, tmp_path):
    from adapters.http.tokens import TokenStore

    client = portal(EMPLOYEE_B)
    client.cookies.clear()
    token = TokenStore(tmp_path / "data" / "tokens.json").create("billing")
    service = client.post("/portal/my-card", data={"serial": f"ZID{URA_A}02"},
                          headers={"Authorization": f"Bearer {token}"})
    assert "Het portaal is voor mensen die met een pas inloggen." in service.text
    assert client.app.state.lifecycle.get_card_by_serial(f"ZID{URA_A}02").status.value \
        == "blank"  # nothing was started for the service
    malformed = client.post("/portal/dev-login", data={"who": "no bars here"})
    assert malformed.status_code == 422
    assert "Niet alle velden zijn goed ingevuld." in malformed.text


def test_without_a_card_the_portal_explains_in_dutch_how_to_log_in(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    client = TestClient(create_app(settings))  # not --dev: no demo login to fall back on
    page = client.get("/portal")
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert "U bent nog niet ingelogd" in page.text
    assert "Steek uw UZI-pas of uw ZORG-ID Smartcard in de kaartlezer." in page.text
    assert "no_credential" not in page.text
    english = client.get("/portal?lang=en")
    assert "You are not logged in yet" in english.text
    form = client.post("/portal/my-card", data={"serial": "ZID000000001"})  # logged out
    assert form.status_code == 401 and "U bent nog niet ingelogd" in form.text
    missing = client.get("/portal/nowhere")
    assert missing.status_code == 404 and "Deze pagina bestaat niet." in missing.text
    assert client.get("/v1/me").json()["code"] == "no_credential"  # the API stays JSON


def test_a_form_refused_comes_back_as_the_page_with_the_message(portal):
    client = portal(DOCTOR_A)
    incomplete = client.post(f"/portal/practices/{URA_A}/link-invitations", data={})
    assert incomplete.status_code == 200 and incomplete.url.path == "/portal"
    assert notice(incomplete) == ("Niet alle velden zijn goed ingevuld. Controleer ze en "
                                  "probeer opnieuw.")
    foreign = client.post(f"/portal/practices/{URA_A}/link-invitations",
                          data={"uzi_number": "900020001"},
                          headers={"Origin": "https://elders.example", "Host": "testserver"})
    assert notice(foreign).startswith("Dit formulier kwam niet van het portaal zelf.")


def test_revoking_and_unlinking_ask_first_and_a_suspension_is_lifted_with_a_button(portal):
    client = portal(DOCTOR_B)
    app = client.app.state.lifecycle
    card_id = app.get_card_by_serial(f"ZID{URA_B}01").id
    head = app.head()
    question = client.get(f"/portal/cards/{card_id}/revoke?reason=loss_or_theft")
    assert "Kaart ZID" in question.text and "van Eva Medewerker intrekken?" in question.text
    assert "Reden: kaart verloren of gestolen." in question.text
    assert "kan niet ongedaan worden gemaakt" in question.text
    unlink = client.get(f"/portal/cards/{card_id}/unlink/{URA_B}")
    assert f"ontkoppelen van Praktijk {URA_B}?" in unlink.text
    assert "De kaart blijft geldig" in unlink.text
    assert app.head() == head  # asking changes nothing
    assert client.get(f"/portal/cards/{card_id}/revoke?reason=superseded").status_code == 422
    suspended = client.post(f"/portal/cards/{card_id}/suspend")
    assert notice(suspended) == "De kaart is geschorst."
    assert f'action="/portal/cards/{card_id}/resume' in suspended.text
    resumed = client.post(f"/portal/cards/{card_id}/resume")
    assert notice(resumed) == "De schorsing is opgeheven."
    revoked = client.post(f"/portal/cards/{card_id}/revoke", data={"reason": "defect"})
    assert notice(revoked) == "De kaart is ingetrokken."


def test_a_manager_sees_the_price_first_and_a_double_click_orders_once(portal):
    client = portal(DOCTOR_A)
    page = client.get("/portal")
    assert re.search(r"Blanco kaarten op voorraad: <strong>2</strong> \(2 ontvangen, 0 "
                     r"gebruikt\)", page.text)
    app = client.app.state.lifecycle
    head = app.head()
    quote_page = client.get(f"/portal/practices/{URA_A}/order?quantity=3")
    assert "ZORG-ID Smartcard, 3 jaar geldig" in quote_page.text
    assert "€\xa075,00" in quote_page.text and "€\xa0225,00" in quote_page.text
    assert "€\xa06,95" in quote_page.text and "21 %" in quote_page.text
    # 3 x 75.00 + 6.95 = 231.95 net, 48.71 VAT (half up), 280.66 in all
    assert re.search(r'id="quote-total">€\xa0280,66<', quote_page.text)
    assert app.head() == head  # a quote places nothing
    key = re.search(r'name="order_key" value="([^"]+)"', quote_page.text).group(1)
    placed = client.post(f"/portal/practices/{URA_A}/orders",
                         data={"quantity": "3", "order_key": key})
    assert notice(placed) == "Uw bestelling is geplaatst."
    again = client.post(f"/portal/practices/{URA_A}/orders",
                        data={"quantity": "3", "order_key": key})  # the second click
    assert notice(again) == "Uw bestelling is geplaatst."
    placed_events = [e for e in app.read_log(after=head) if e.type == "BlankCardOrder.Placed"]
    assert len(placed_events) == 1
    too_many = client.get(f"/portal/practices/{URA_A}/order?quantity=900")
    assert too_many.status_code == 422 and "Bestel 1 tot 500 kaarten per keer." in too_many.text
    stranger = portal(EMPLOYEE_B).get(f"/portal/practices/{URA_A}/order?quantity=1")
    assert stranger.status_code == 403


def test_an_invoice_downloads_as_a_pdf_an_accountant_reads_and_as_csv(portal, tmp_path):
    from pathlib import Path

    import pypdfium2

    client = portal(DOCTOR_A)
    page = client.get("/portal")
    number = re.search(r'data-invoice="([^"]+)"', page.text).group(1)
    assert "2 \u00d7 ZORG-ID Smartcard, 3 jaar geldig" in page.text  # the lines, on the page
    pdf = client.get(f"/portal/practices/{URA_A}/invoices/{number}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(pdf.content)
    text = document[0].get_textpage().get_text_range()
    for expected in ("Factuur", number, f"Praktijk {URA_A}", f"URA {URA_A}",
                     "ZORG-ID Smartcard, 3 jaar geldig", "Verzendkosten", "Btw 21 %",
                     "EUR 156,95", "EUR 32,96", "EUR 189,91", "Factuurdatum"):
        assert expected in text, expected
    artifacts = Path(__file__).resolve().parents[2] / ".artifacts"
    artifacts.mkdir(exist_ok=True)
    document[0].render(scale=1.5).to_pil().save(artifacts / "invoice.png")
    csv_file = client.get(f"/portal/practices/{URA_A}/invoices/{number}.csv")
    rows = csv_file.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("factuurnummer;factuurdatum;ura;praktijk")
    assert rows[1].endswith(";1;ZORG-ID Smartcard, 3 jaar geldig;2;75,00;150,00")
    assert rows[-1].endswith(";totaal incl. btw;;;189,91")
    other = portal(DOCTOR_B).get(f"/portal/practices/{URA_A}/invoices/{number}.pdf")
    assert other.status_code == 403  # another practice's invoice stays its own
    assert portal(DOCTOR_A).get(
        f"/portal/practices/{URA_A}/invoices/1999-000001.pdf").status_code == 404


def test_the_demo_login_offers_every_kind_of_person_in_every_kind_of_practice(tmp_path):
    from adapters.bootstrap.tools import demo_history

    settings = Settings(data_dir=tmp_path / "demo")
    demo_history(settings, 50, 1)
    client = TestClient(create_app(settings, dev=True), follow_redirects=True)

    def offered() -> dict[str, dict[str, str]]:
        page = client.get("/portal/dev-login").text
        found: dict[str, dict[str, str]] = {}
        for section in page.split("<h2>")[1:]:
            kind = re.search(r"\((huisartsenpraktijk|huisartsenpost|apotheek)\)", section)[1]
            found[kind] = {role: key for key, role in re.findall(
                r'value="([^"]+)"[^>]*>[^<]*, ([a-z ]+)</button>', section)}
        return found

    roles = {"administrator", "beheerder", "zorgverlener", "medewerker met kaart",
             "medewerker zonder kaart"}
    people = offered()
    assert set(people) == {"huisartsenpraktijk", "huisartsenpost", "apotheek"}
    for kind, by_role in people.items():
        assert roles - {"medewerker met kaart"} <= set(by_role), kind
    for by_role in people.values():  # everyone offered gets in
        for key in by_role.values():
            page = client.post("/portal/dev-login", data={"who": key})
            assert page.status_code == 200 and "Ingelogd als" in page.text
    # a holder's card revoked: the login still offers someone of every kind
    holder_key = people["huisartsenpraktijk"]["medewerker met kaart"]
    client.post("/portal/dev-login", data={"who": holder_key})
    mine = client.get("/portal")
    card_id = re.search(r'data-my-card="([^"]+)"><td>[^<]*</td><td class="status-active"',
                        mine.text)[1]
    assert notice(client.post(f"/portal/cards/{card_id}/revoke",
                              data={"reason": "defect"})) == "De kaart is ingetrokken."
    again = offered()
    assert roles - {"medewerker met kaart"} <= set(again["huisartsenpraktijk"])
    page = client.post("/portal/dev-login", data={"who": holder_key})
    assert page.status_code == 200 and "Ingelogd als" in page.text  # still usable


def test_a_holder_asks_to_unblock_the_pin_and_sees_the_code_the_helper_and_the_end(portal):
    """R16 in the portal: the code for ZORG-ID Werkplek, then which workstation took it;
    a blocked PUK ends the card, and the page says so and offers a new card. Only the
    holder may ask; a page reloaded without ?job= still shows the card creation."""
    from adapters.http.job_tokens import pin_service_token

    client = portal(EMPLOYEE_B)
    app = client.app.state.lifecycle
    card_id = app.get_card_by_serial(f"ZID{URA_B}01").id
    assert "Pincode wijzigen" in client.get("/portal").text
    page = client.post(f"/portal/cards/{card_id}/pin-services")
    assert notice(page) == "Typ de koppelcode hieronder in ZORG-ID Werkplek."
    code = re.search(r'id="pin-pairing-code">([^<]+)<', page.text).group(1)
    taken = client.post("/v1/pairings", json={"code": code, "workstation": "balie-pc"})
    assert taken.status_code == 200 and taken.json()["kind"] == "pin_unblock"
    followed = client.get("/portal")
    assert 'id="pin-pairing-code"' not in followed.text
    assert "ZORG-ID Werkplek op balie-pc deblokkeert nu uw pincode" in followed.text
    service = UUID(taken.json()["job_id"])
    assert taken.json()["job_token"] == pin_service_token(client.app.state.job_secret, service)
    assert client.post(f"/v1/pin-services/{service}/result", json={"outcome": "puk_blocked"},
                       headers={"Authorization": f"Bearer {taken.json()['job_token']}"}
                       ).status_code == 204
    ended = client.get("/portal")
    assert f"Uw kaart ZID{URA_B}01 is ingetrokken omdat ook de PUK geblokkeerd is." \
        in ended.text
    assert 'class="create"' in ended.text  # a new card, right there
    head = app.head()
    colleague = portal(DOCTOR_B).post(f"/portal/cards/{card_id}/pin-services")
    assert notice(colleague) != "" and app.head() == head  # no one else, and no event
    started = portal(EMPLOYEE_B).post("/portal/my-card", data={"serial": f"ZID{URA_B}02"})
    assert notice(started) == "De aanmaak is gestart."
    reloaded = client.get("/portal")  # no ?job=: the running creation is still shown
    assert 'id="pairing-code"' in reloaded.text


def test_a_failed_creation_says_in_dutch_what_happened_and_what_to_do(portal):
    """The portal says what ZORG-ID Werkplek said: a card taken out, the wrong card, a
    workstation gone quiet; any other step still gets a way forward."""
    client = portal(ASSISTANT_A)
    for step, text in (("card_removed", "De kaart is uit de lezer gehaald voordat hij klaar "
                                        "was."),
                       ("wrong_card", "Er zat een andere kaart in de lezer"),
                       ("choose_pin", "Er gebeurde te lang niets op de werkplek."),
                       ("generate_key", "Het schrijven van de kaart is niet afgemaakt.")):
        page = client.post("/portal/my-card", data={"serial": f"ZID{URA_A}01"})
        job_id = re.search(r"[?&]job=([0-9a-f-]{36})", str(page.url)).group(1)
        token = job_token(client.app.state.job_secret, UUID(job_id))
        assert client.post(f"/v1/personalisation-jobs/{job_id}/result",
                           json={"outcome": "failed", "step": step, "detail": "x"},
                           headers={"Authorization": f"Bearer {token}"}).status_code == 204
        failed = client.get("/portal")  # without ?job=: the failed one is still shown
        found = re.search(r'id="job-failure" class="problem">([^<]*)<', failed.text)
        assert found and found.group(1).startswith(text), (step, found)


def test_anyone_leaves_an_email_address_for_reminders_and_removes_it(portal):
    """R17 in the portal: saved in Dutch, a wrong one refused in Dutch (nothing appended),
    and removed again."""
    for person in (EMPLOYEE_B, DOCTOR_A):
        client = portal(person)
        app = client.app.state.lifecycle
        page = client.post("/portal/email", data={"email": "iemand@praktijk.example"})
        assert notice(page) == "Uw e-mailadres is opgeslagen."
        assert 'value="iemand@praktijk.example"' in page.text
        assert app.find_person(person.uzi_number).email == "iemand@praktijk.example"
        head = app.head()
        wrong = client.post("/portal/email", data={"email": "geen adres"})
        assert notice(wrong) == "Dit is geen e-mailadres. Typ het als naam@praktijk.nl."
        assert app.head() == head
        gone = client.post("/portal/email/remove")
        assert notice(gone).startswith("Uw e-mailadres is weggehaald")
        assert app.find_person(person.uzi_number).email is None
