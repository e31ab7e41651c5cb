"""ZORG-ID Werkplek as an employee meets it, in headless Chromium: the portal (served as
https-less `portal.zorgid.test`, an origin other than the helper's loopback one) shows a
pairing code; the employee types it into the helper's page on 127.0.0.1; the helper
checks the API, the job and the reader before it asks PIN and PUK, says in Dutch what to
do when the card is missing, writes the virtual card in pcscd, and the portal shows the
card active; OpenSC then signs with it. Requests from another origin or with a foreign
Host are refused, and the job token is in no process's arguments and no log."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, missing
from tests.support import wait_for_health, zorgid_command

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts"
MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
PIN, PUK = "482915", "73920184"


def blank_card_and_employee(views: Path) -> tuple[str, str]:
    """A blank card of the dev login's first practice, whose employee without a card the
    test logs in as."""
    from sqlite_utils import Database

    from adapters.http.portal.dev_login import demo_people

    db = Database(sqlite3.connect(f"file:{views}?mode=ro", uri=True))
    employee = demo_people(db)[0]["people"][-1]
    _, _, ura, name = employee["key"].split("|")
    [serial] = [row[0] for row in db.conn.execute(
        "SELECT serial FROM cards WHERE shipped_to_ura = ? AND status = 'blank' "
        "ORDER BY serial LIMIT 1", (ura,))]
    return serial, name


def proc_arguments() -> str:
    texts = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                texts.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="ignore"))
    return "\n".join(texts)


def wait_until_up(url: str, seconds: float = 30) -> None:
    """Until the helper's start page answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/").status_code == 200:
                return
        time.sleep(0.2)


def clicker(browser, wait):
    """`click(element)`: click, and wait until the browser has left the page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    def replaced(page) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    def click(element) -> None:
        page = browser.find_element(By.TAG_NAME, "html")
        element.click()
        wait.until(lambda _: replaced(page))

    return click


@pytest.fixture
def chromium():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        missing("chromium and chromium-driver are needed: scripts/setup.sh --test installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    def start(portal_port: int):
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1100,1300",
                     # the portal at a name of its own, as a public origin would be
                     "--host-resolver-rules=MAP portal.zorgid.test 127.0.0.1"):
            options.add_argument(flag)
        return webdriver.Chrome(service=Service(driver), options=options)

    return start


def test_an_employee_makes_their_card_with_the_helper(pcscd, chromium, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as appears
    from selenium.webdriver.support.ui import WebDriverWait

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    demo = tmp_path / "demo"
    port, helper_port = free_port(), free_port()
    server = subprocess.Popen([*zorgid_command(), "serve", "--dev", "--data-dir", str(demo),
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    log = tmp_path / "helper.log"
    helper = card = browser = None
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server, 90)
        serial, employee = blank_card_and_employee(demo / "views.sqlite3")
        with log.open("w") as sink:
            helper = subprocess.Popen(
                [*zorgid_command(), "-v", "workstation", "--api", f"http://127.0.0.1:{port}",
                 "--port", str(helper_port), "--no-browser", "--name", "balie-pc",
                 "--reader", pcscd], env=env, stdout=sink, stderr=subprocess.STDOUT)
        helper_url = f"http://127.0.0.1:{helper_port}"
        wait_until_up(helper_url)
        # neither another web site nor a rebinding page drives the helper
        foreign = httpx.post(helper_url + "/pair", data={"code": "ABCD-EFGH"},
                             headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        rebound = httpx.get(helper_url + "/", headers={"Host": f"evil.example:{helper_port}"})
        assert rebound.status_code == 421

        browser = chromium(port)
        wait = WebDriverWait(browser, 30)
        SCREENSHOTS.mkdir(exist_ok=True)

        click = clicker(browser, wait)

        portal = f"http://portal.zorgid.test:{port}"
        browser.get(f"{portal}/portal/dev-login")
        button = browser.find_elements(By.TAG_NAME, "h2")[0].find_element(
            By.XPATH, "following-sibling::ul[1]").find_element(
            By.XPATH, ".//button[contains(., ', medewerker zonder kaart')]")
        click(button)
        field = wait.until(appears.presence_of_element_located(
            (By.CSS_SELECTOR, "input[name=serial]")))
        field.send_keys(serial)
        click(browser.find_element(By.CSS_SELECTOR, "button.create"))
        code = wait.until(appears.presence_of_element_located((By.ID, "pairing-code"))).text
        assert "ZORG-ID Werkplek" in browser.page_source
        browser.save_screenshot(str(SCREENSHOTS / "portal-pairing-code.png"))
        portal_tab = browser.current_window_handle

        # the helper, in a tab of its own; no card in the reader yet
        browser.switch_to.new_window("tab")
        browser.get(helper_url + "/")
        wait.until(appears.presence_of_element_located((By.NAME, "code"))).send_keys(code)
        browser.save_screenshot(str(SCREENSHOTS / "helper-start.png"))
        click(browser.find_element(By.ID, "pair"))
        problem = wait.until(appears.presence_of_element_located((By.ID, "problem"))).text
        assert problem.startswith(f"Er zit geen kaart in de kaartlezer. Steek blanco kaart "
                                  f"{serial}")
        assert "pincode" not in browser.page_source.lower().split("<body")[1].split(
            "problem")[0]  # no secret asked before the checks pass
        browser.save_screenshot(str(SCREENSHOTS / "helper-no-card.png"))

        card = subprocess.Popen([*zorgid_command(), "virtual-card", "--data-dir", str(demo),
                                 "--state", str(tmp_path / "card.json"), "--serial", serial],
                                env=env, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        click(browser.find_element(By.ID, "recheck"))
        wait.until(appears.presence_of_element_located((By.NAME, "pin")))
        assert employee.split()[0] in browser.find_element(By.ID, "holder").text
        assert "6 tot 8 cijfers" in browser.page_source
        browser.save_screenshot(str(SCREENSHOTS / "helper-pin.png"))
        for name, value in (("pin", PIN), ("pin_again", PIN), ("puk", PUK),
                            ("puk_again", PUK[:-1] + "0")):
            browser.find_element(By.NAME, name).send_keys(value)
        click(browser.find_element(By.ID, "make"))
        assert wait.until(appears.presence_of_element_located((By.ID, "problem"))).text == \
            "De twee PUK's zijn niet gelijk. Typ ze opnieuw."
        for name, value in (("pin", PIN), ("pin_again", PIN), ("puk", PUK),
                            ("puk_again", PUK)):
            browser.find_element(By.NAME, name).send_keys(value)
        click(browser.find_element(By.ID, "make"))
        arguments = proc_arguments()  # while the card is being written
        steps = wait.until(appears.presence_of_element_located((By.ID, "steps")))
        assert "De kaart lezen" in steps.text
        browser.save_screenshot(str(SCREENSHOTS / "helper-progress.png"))
        done = WebDriverWait(browser, 120).until(
            appears.presence_of_element_located((By.ID, "done"))).text
        assert done.startswith("Uw ZORG-ID Smartcard is klaar. Geldig tot ")
        browser.save_screenshot(str(SCREENSHOTS / "helper-done.png"))

        browser.switch_to.window(portal_tab)
        browser.refresh()
        row = wait.until(appears.presence_of_element_located(
            (By.XPATH, "//table[@id='my-cards']//tr[td[contains(., 'actief')]]")))
        assert serial in row.text
        browser.save_screenshot(str(SCREENSHOTS / "portal-card-active.png"))

        # OpenSC signs with the new card
        message = tmp_path / "message"
        message.write_bytes(b"toegang tot het LSP")
        signed = subprocess.run(["pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN,
                                 "--sign", "--id", "01", "--mechanism", "SHA256-RSA-PKCS",
                                 "--input-file", str(message), "--output-file",
                                 str(tmp_path / "signature")], capture_output=True,
                                timeout=60, check=False)
        assert signed.returncode == 0, signed.stderr
    finally:
        if browser is not None:
            browser.quit()
        for process in (card, helper):
            if process is not None:
                process.terminate()
                process.wait(10)
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    # the job's token: never in a process's arguments, the helper's log or a URL it served
    job_token = token_of_last_job(demo)
    assert job_token and job_token not in arguments
    assert job_token not in log.read_text()


def token_of_last_job(demo: Path) -> str:
    from uuid import UUID

    from adapters.bootstrap import Settings, job_secret
    from adapters.http.job_tokens import job_token

    db = sqlite3.connect(f"file:{demo / 'views.sqlite3'}?mode=ro", uri=True)
    [job_id] = db.execute("SELECT job_id FROM personalisation_jobs ORDER BY started_at DESC "
                          "LIMIT 1").fetchone()
    return job_token(job_secret(Settings(data_dir=demo)), UUID(job_id))
