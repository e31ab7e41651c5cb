"""The portal in a real browser: headless Chromium (Debian's) clicks through the demo
login and revokes a card; a screenshot is kept."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.conftest import free_port, missing
from tests.support import wait_for_health, zorgid_command

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts"


@pytest.fixture
def portal(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    server = subprocess.Popen([*zorgid_command(), "serve", "--dev", "--data-dir",
                               str(tmp_path / "demo"), "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    wait_for_health(base, server, 60)
    yield base
    server.send_signal(signal.SIGTERM)
    server.wait(15)


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        missing("chromium and chromium-driver are needed: scripts/setup.sh --test installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1600"):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()


def test_a_manager_revokes_a_card_in_the_portal(portal, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as appears
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(f"{portal}/portal")
    assert "/portal/dev-login" in browser.current_url
    assert "DEMO-OMGEVING" in browser.page_source  # clearly marked
    browser.find_elements(By.CSS_SELECTOR, "button[id^='login-']")[0].click()
    wait.until(appears.presence_of_element_located((By.XPATH, "//h2[starts-with(., "
                                                              "'Kaarten van')]")))
    row = browser.find_elements(By.XPATH, "//tr[td[@class='status-active']]")[0]
    card_id = row.get_attribute("data-card")
    row.find_element(By.CSS_SELECTOR, "button.revoke").click()
    question = wait.until(appears.presence_of_element_located((By.ID, "confirm")))
    assert question.text.endswith("intrekken?")  # what cannot be undone is asked first
    assert "kan niet ongedaan worden gemaakt" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "button.confirm").click()
    outcome = wait.until(appears.presence_of_element_located(
        (By.CSS_SELECTOR, "#notice, #error")))
    assert outcome.text == "De kaart is ingetrokken."
    status = browser.find_element(By.XPATH, f"//tr[@data-card='{card_id}']/td[3]").text
    assert status == "ingetrokken"
    SCREENSHOTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / "portal-revoked.png"))
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    english = httpx.get(f"{portal}/portal?lang=en", cookies=cookies)
    assert "Cards of" in english.text and "revoked" in english.text
    # the demo has its own card CA: the revoked card's certificates are on its CRL
    history = httpx.get(f"{portal}/v1/cards/{card_id}/history", cookies=cookies).json()
    issued = next(e for e in history["events"] if e["type"] == "Card.CertificatesIssued")
    crl = x509.load_der_x509_crl(httpx.get(f"{portal}/v1/crl").content)
    for certificate in issued["payload"]["certificates"]:
        entry = crl.get_revoked_certificate_by_serial_number(
            int(certificate["serial_number"], 16))
        assert entry is not None


def test_the_demo_login_does_not_exist_without_dev(tmp_path):
    from fastapi.testclient import TestClient

    from adapters.bootstrap import Settings, init_data_dir
    from adapters.http.app import create_app

    settings = Settings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    client = TestClient(create_app(settings))
    page = client.get("/portal/dev-login")
    assert page.status_code == 404  # a page for people, in Dutch
    assert "Deze pagina bestaat alleen in de demo-omgeving." in page.text
    client.cookies.set("zorgid_dev", "e30=.abc")
    forged = client.get("/portal")
    assert forged.status_code == 401


def test_a_manager_orders_approves_a_link_resumes_and_downloads_an_invoice(portal, tmp_path):
    """The manager's tasks in Chromium, and an employee of another practice asking to be
    linked; screenshots of each page are kept under .artifacts/."""
    import time

    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as appears
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        missing("chromium and chromium-driver are needed: scripts/setup.sh --test installs them")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1800"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    browser = webdriver.Chrome(service=Service(driver), options=options)
    wait = WebDriverWait(browser, 20)
    SCREENSHOTS.mkdir(exist_ok=True)

    def click(element) -> None:
        """Click, and wait until the next page has replaced this one."""
        page = browser.find_element(By.TAG_NAME, "html")
        element.click()
        wait.until(lambda _: replaced(page))

    def replaced(page) -> bool:
        # Chromium may also say the node "does not belong to the document" while the
        # next page replaces it: gone as well
        try:
            page.is_enabled()
        except WebDriverException:  # StaleElementReference included
            return True
        return False

    def notice() -> str:
        return wait.until(appears.presence_of_element_located(
            (By.CSS_SELECTOR, "#notice, #error"))).text

    def log_in(section: int, role: str) -> None:
        browser.get(f"{portal}/portal/dev-login")
        heading = browser.find_elements(By.TAG_NAME, "h2")[section]
        button = heading.find_element(By.XPATH, "following-sibling::ul[1]").find_element(
            By.XPATH, f".//button[contains(., ', {role}')]")
        click(button)
        wait.until(appears.presence_of_element_located((By.XPATH, "//p[contains(., "
                                                                  "'Ingelogd als')]")))

    try:
        # the manager of the first practice, and its URA
        log_in(0, "administrator")
        ura = browser.find_element(By.CSS_SELECTOR, "table[id^='cards-']").get_attribute(
            "id")[len("cards-"):]
        # 1. order two blank cards: the price first, then the order
        quantity = browser.find_element(By.CSS_SELECTOR, f"form[action='/portal/practices/"
                                                         f"{ura}/order'] input[name=quantity]")
        quantity.clear()
        quantity.send_keys("2")
        click(browser.find_element(By.CSS_SELECTOR, "button.order"))
        total = wait.until(appears.presence_of_element_located((By.ID, "quote-total")))
        assert total.text.startswith("€") and "," in total.text
        browser.save_screenshot(str(SCREENSHOTS / "portal-order-quote.png"))
        click(browser.find_element(By.CSS_SELECTOR, "button.place-order"))
        assert notice() == "Uw bestelling is geplaatst."
        # 2. an employee with a card at another practice asks to be linked here
        log_in(2, "medewerker met kaart")
        field = browser.find_element(By.CSS_SELECTOR, "input[name=ura]")
        field.send_keys(ura)
        click(browser.find_element(By.CSS_SELECTOR, "button.ask-link"))
        assert notice().startswith("Uw verzoek is verstuurd.")
        browser.save_screenshot(str(SCREENSHOTS / "portal-employee-asks.png"))
        # ... and the manager approves
        log_in(0, "administrator")
        click(browser.find_element(By.CSS_SELECTOR, f"#link-requests-{ura} button.approve"))
        assert notice() == "De kaart is gekoppeld."
        browser.save_screenshot(str(SCREENSHOTS / "portal-link-approved.png"))
        # 3. suspend a card, then lift the suspension
        row = browser.find_elements(By.XPATH, f"//table[@id='cards-{ura}']"
                                              "//tr[td[@class='status-active']]")[0]
        card_id = row.get_attribute("data-card")
        click(row.find_element(By.CSS_SELECTOR, "button.suspend"))
        assert notice() == "De kaart is geschorst."
        click(browser.find_element(By.XPATH, f"//tr[@data-card='{card_id}']//button[@class="
                                             "'resume']"))
        assert notice() == "De schorsing is opgeheven."
        # 4. download an invoice as PDF
        link = browser.find_elements(By.CSS_SELECTOR, "a.invoice-pdf")[0]
        number = link.get_attribute("href").rsplit("/", 1)[1].removesuffix(".pdf")
        link.click()
        target = downloads / f"factuur-{number}.pdf"
        deadline = time.monotonic() + 20
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert target.exists() and target.read_bytes().startswith(b"%PDF-")
        browser.save_screenshot(str(SCREENSHOTS / "portal-manager.png"))
    finally:
        browser.quit()
