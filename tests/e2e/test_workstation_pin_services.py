"""R16 as an employee meets it, in headless Chromium with the portal at
`portal.zorgid.test` and ZORG-ID Werkplek on loopback, the card a virtual one in pcscd.

The card is made through the helper first; then the employee checks it ("Controleer mijn
kaart"), changes the PIN, types a wrong current PIN until the PIN blocks, asks the portal
to unblock it ("Pincode vergeten of geblokkeerd"), types the code and the PUK into the
helper and chooses a new PIN, with which OpenSC signs. Then the PIN blocks again and the
PUK is typed wrong three times: the card is revoked as puk_blocked, the helper and the
portal say so in Dutch, and the portal offers a new card."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

from tests.conftest import free_port
from tests.e2e.test_workstation_helper import (
    MODULE,
    PIN,
    PUK,
    SCREENSHOTS,
    blank_card_and_employee,
    chromium,  # noqa: F401  (the fixture)
    clicker,
    wait_until_up,
)
from tests.support import wait_for_health, zorgid_command

NEW_PIN, NEWER_PIN = "350817", "60194027"


def test_pin_change_unblock_and_a_blocked_puk_through_the_helper(pcscd, chromium, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as appears
    from selenium.webdriver.support.ui import WebDriverWait

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    demo = tmp_path / "demo"
    port, helper_port = free_port(), free_port()
    server = subprocess.Popen([*zorgid_command(), "serve", "--dev", "--data-dir", str(demo),
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    helper = card = browser = None
    try:
        wait_for_health(f"http://127.0.0.1:{port}", server, 90)
        serial, _ = blank_card_and_employee(demo / "views.sqlite3")
        helper = subprocess.Popen(
            [*zorgid_command(), "workstation", "--api", f"http://127.0.0.1:{port}",
             "--port", str(helper_port), "--no-browser", "--name", "balie-pc",
             "--reader", pcscd], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        helper_url = f"http://127.0.0.1:{helper_port}"
        wait_until_up(helper_url)
        card = subprocess.Popen([*zorgid_command(), "virtual-card", "--data-dir", str(demo),
                                 "--state", str(tmp_path / "card.json"), "--serial", serial],
                                env=env, stderr=subprocess.DEVNULL)
        time.sleep(1.5)

        browser = chromium(port)
        wait = WebDriverWait(browser, 30)
        SCREENSHOTS.mkdir(exist_ok=True)

        click = clicker(browser, wait)

        def by_id(name: str):
            return wait.until(appears.presence_of_element_located((By.ID, name)))

        def fill(**fields: str) -> None:
            for name, value in fields.items():
                browser.find_element(By.NAME, name).send_keys(value)

        def in_helper(path: str = "/") -> None:
            browser.switch_to.window(helper_tab)
            browser.get(helper_url + path)

        def in_portal() -> None:
            browser.switch_to.window(portal_tab)
            browser.get(f"{portal}/portal")

        def wrong_pins_until_blocked() -> None:
            for left in ("2", "1", None):
                in_helper("/pin")
                fill(old_pin="999999", new_pin=NEWER_PIN, new_pin_again=NEWER_PIN)
                click(by_id("change"))
                problem = by_id("problem").text
                if left is not None:
                    assert f"U kunt het nog {left} keer proberen" in problem, problem
                else:
                    assert problem.startswith("Uw pincode is geblokkeerd."), problem

        def unblock_code() -> str:
            in_portal()
            click(browser.find_element(By.CSS_SELECTOR, "button.pin-forgotten"))
            return by_id("pin-pairing-code").text

        # the card, made through the helper
        portal = f"http://portal.zorgid.test:{port}"
        browser.get(f"{portal}/portal/dev-login")
        click(browser.find_elements(By.TAG_NAME, "h2")[0].find_element(
            By.XPATH, "following-sibling::ul[1]").find_element(
            By.XPATH, ".//button[contains(., ', medewerker zonder kaart')]"))
        wait.until(appears.presence_of_element_located(
            (By.CSS_SELECTOR, "input[name=serial]"))).send_keys(serial)
        click(browser.find_element(By.CSS_SELECTOR, "button.create"))
        code = by_id("pairing-code").text
        portal_tab = browser.current_window_handle
        browser.switch_to.new_window("tab")
        helper_tab = browser.current_window_handle
        in_helper()
        fill(code=code)
        click(by_id("pair"))
        fill(pin=PIN, pin_again=PIN, puk=PUK, puk_again=PUK)
        click(by_id("make"))
        WebDriverWait(browser, 120).until(appears.presence_of_element_located((By.ID, "done")))
        click(browser.find_element(By.CSS_SELECTOR, "form[action^='/forget'] button"))

        # check my card
        click(by_id("inspect"))
        assert by_id("status").text == "actief"
        assert by_id("ends").text.endswith(str(int(time.strftime("%Y")) + 3))
        assert 1090 <= int(by_id("days-left").text) <= 1097
        browser.save_screenshot(str(SCREENSHOTS / "helper-check-card.png"))

        # a PIN change, then a blocked PIN
        in_helper("/pin")
        fill(old_pin=PIN, new_pin=NEW_PIN, new_pin_again=NEW_PIN)
        click(by_id("change"))
        assert by_id("done").text.startswith("Uw pincode is gewijzigd.")
        browser.save_screenshot(str(SCREENSHOTS / "helper-pin-changed.png"))
        wrong_pins_until_blocked()
        browser.save_screenshot(str(SCREENSHOTS / "helper-pin-blocked.png"))

        # unblocked with the PUK, from the portal's code
        code = unblock_code()
        browser.save_screenshot(str(SCREENSHOTS / "portal-pin-pairing-code.png"))
        in_helper()
        fill(code=code)
        click(by_id("pair"))
        assert by_id("unblock")  # the holder's own card is in the reader: PUK asked
        assert "Pincode deblokkeren voor" in browser.page_source
        browser.save_screenshot(str(SCREENSHOTS / "helper-unblock.png"))
        fill(puk=PUK, new_pin=NEWER_PIN, new_pin_again=NEWER_PIN)
        click(by_id("unblock"))
        assert by_id("done").text.startswith("Uw pincode is gedeblokkeerd.")
        browser.save_screenshot(str(SCREENSHOTS / "helper-unblocked.png"))
        click(browser.find_element(By.CSS_SELECTOR, "form[action^='/forget'] button"))
        in_portal()
        assert by_id("pin-unblocked").text.startswith("Uw pincode is gedeblokkeerd.")
        message = tmp_path / "message"
        message.write_bytes(b"toegang tot het LSP")
        signed = subprocess.run(["pkcs11-tool", "--module", MODULE, "--login", "--pin",
                                 NEWER_PIN, "--sign", "--id", "01", "--mechanism",
                                 "SHA256-RSA-PKCS", "--input-file", str(message),
                                 "--output-file", str(tmp_path / "signature")],
                                capture_output=True, timeout=60, check=False)
        assert signed.returncode == 0, signed.stderr

        # blocked again, and the PUK forgotten too: the card ends as puk_blocked
        wrong_pins_until_blocked()
        code = unblock_code()
        in_helper()
        fill(code=code)
        click(by_id("pair"))
        for left in ("2", "1"):
            fill(puk="11111111", new_pin=NEW_PIN, new_pin_again=NEW_PIN)
            click(by_id("unblock"))
            assert f"De PUK is onjuist. U kunt het nog {left} keer" in by_id("problem").text
        fill(puk="11111111", new_pin=NEW_PIN, new_pin_again=NEW_PIN)
        click(by_id("unblock"))
        assert by_id("done").text.startswith("Ook de PUK is nu geblokkeerd")
        browser.save_screenshot(str(SCREENSHOTS / "helper-puk-blocked.png"))
        click(browser.find_element(By.CSS_SELECTOR, "form[action^='/forget'] button"))
        click(by_id("inspect"))
        assert by_id("status").text.startswith("ingetrokken")
        in_portal()
        assert by_id("puk-blocked").text.startswith(f"Uw kaart {serial} is ingetrokken")
        assert browser.find_element(By.CSS_SELECTOR, "button.create").is_displayed()
        browser.save_screenshot(str(SCREENSHOTS / "portal-puk-blocked.png"))
    finally:
        if browser is not None:
            browser.quit()
        for process in (card, helper):
            if process is not None:
                process.terminate()
                process.wait(10)
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    db = sqlite3.connect(f"file:{demo / 'views.sqlite3'}?mode=ro", uri=True)
    assert db.execute("SELECT status, revocation_reason FROM cards WHERE serial = ?",
                      (serial,)).fetchone() == ("revoked", "puk_blocked")
    assert [row[0] for row in db.execute(
        "SELECT p.status FROM pin_services p JOIN cards c USING (card_id) WHERE c.serial = ? "
        "ORDER BY p.started_at", (serial,))] == ["unblocked", "puk_blocked"]
