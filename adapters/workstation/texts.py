"""What ZORG-ID Werkplek says, in Dutch (the default) and English: each page's words,
and per code what went wrong and what to do next."""

from __future__ import annotations

from adapters.http.portal.texts import ERRORS_NL
from adapters.http.portal.texts import TEXTS as PORTAL_TEXTS

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "ZORG-ID Werkplek",
        "intro": "Hier maakt u uw ZORG-ID Smartcard. Start eerst in het portaal het aanmaken "
                 "van uw kaart: het portaal toont dan een koppelcode.",
        "code": "Koppelcode uit het portaal", "pair": "Verder",
        "readers": "Kaartlezers", "no_readers": "Geen kaartlezer gevonden.",
        "card_in": "kaart", "empty": "geen kaart", "unknown_card": "geen ZORG-ID-kaart",
        "for": "Kaart voor", "blank": "Blanco kaart",
        "checking": "Controle", "recheck": "Opnieuw controleren",
        "choose": "Kies uw pincode en PUK",
        "rules": "Een pincode en een PUK bestaan uit 6 tot 8 cijfers. Met de pincode "
                 "gebruikt u de kaart; met de PUK deblokkeert u de pincode als u die drie "
                 "keer verkeerd intypt. Kies twee verschillende codes, schrijf de PUK op en "
                 "bewaar hem op een veilige plek, niet bij de kaart.",
        "pin": "Pincode", "pin_again": "Pincode nogmaals", "puk": "PUK",
        "puk_again": "PUK nogmaals", "make": "Kaart maken",
        "secret_note": "Uw pincode en PUK gaan alleen naar de kaart. ZORG-ID bewaart ze niet.",
        "progress": "Uw kaart wordt gemaakt", "keep_in": "Laat de kaart in de lezer zitten.",
        "step_read_card": "De kaart lezen",
        "step_generate_key": "Sleutels maken (dit duurt 10 tot 45 seconden)",
        "step_put_certificate": "Certificaten schrijven",
        "step_activate": "Activeren",
        "done": "Uw ZORG-ID Smartcard is klaar.", "valid_until": "Geldig tot",
        "done_next": "U kunt de kaart nu gebruiken. In het portaal staat de kaart als actief.",
        "failed": "Het is niet gelukt", "again": "Opnieuw beginnen",
        "language": "English",
        "intro_more": "Hebt u al een kaart? Dan kunt u hier ook uw pincode wijzigen of uw "
                      "kaart controleren. Pincode vergeten of geblokkeerd? Kies dat in het "
                      "portaal bij uw kaart: het portaal toont dan een koppelcode voor "
                      "hieronder.",
        "services": "Uw kaart", "change_pin": "Pincode wijzigen",
        "inspect": "Controleer mijn kaart", "home": "Terug",
        "change_pin_intro": "Steek uw ZORG-ID Smartcard in de lezer. Typ uw huidige pincode "
                            "en kies een nieuwe van 6 tot 8 cijfers.",
        "old_pin": "Huidige pincode", "new_pin": "Nieuwe pincode",
        "new_pin_again": "Nieuwe pincode nogmaals", "change": "Pincode wijzigen",
        "pin_changed": "Uw pincode is gewijzigd. Gebruik voortaan de nieuwe pincode.",
        "unblock_title": "Pincode deblokkeren",
        "unblock_for": "Pincode deblokkeren voor", "own_card": "Kaart",
        "unblock_intro": "Typ de PUK die u bij het maken van de kaart koos, en kies een "
                         "nieuwe pincode van 6 tot 8 cijfers. Let op: na drie keer een "
                         "verkeerde PUK is de kaart niet meer te gebruiken.",
        "unblock": "Pincode deblokkeren",
        "unblocked": "Uw pincode is gedeblokkeerd. U kunt de kaart weer gebruiken met uw "
                     "nieuwe pincode.",
        "puk_blocked": "Ook de PUK is nu geblokkeerd, dus deze kaart kan niet meer worden "
                       "gebruikt. De kaart is ingetrokken. Maak in het portaal een nieuwe "
                       "kaart; u hebt daarvoor uw UZI-pas en een blanco kaart nodig.",
        "check_title": "Uw kaart", "serial": "Kaartnummer", "holder": "Houder",
        "status": "Status", "days_left": "Dagen tot het einde",
        "blank_card": "Dit is een blanco kaart: er staat nog geen ZORG-ID op. Maak er in "
                      "het portaal een kaart van.",
        "ends_soon": "Uw kaart loopt binnenkort af. Vraag op tijd een nieuwe kaart aan.",
    },
    "en": {
        "title": "ZORG-ID Workstation",
        "intro": "Here you make your ZORG-ID Smartcard. First start creating your card in "
                 "the portal: it then shows a pairing code.",
        "code": "Pairing code from the portal", "pair": "Continue",
        "readers": "Card readers", "no_readers": "No card reader found.",
        "card_in": "card", "empty": "no card", "unknown_card": "not a ZORG-ID card",
        "for": "Card for", "blank": "Blank card",
        "checking": "Checking", "recheck": "Check again",
        "choose": "Choose your PIN and PUK",
        "rules": "A PIN and a PUK are 6 to 8 digits. The PIN is for using the card; the PUK "
                 "unblocks the PIN after three wrong tries. Choose two different codes, write "
                 "the PUK down and keep it somewhere safe, not with the card.",
        "pin": "PIN", "pin_again": "PIN again", "puk": "PUK", "puk_again": "PUK again",
        "make": "Make the card",
        "secret_note": "Your PIN and PUK go to the card only. ZORG-ID does not keep them.",
        "progress": "Your card is being made", "keep_in": "Leave the card in the reader.",
        "step_read_card": "Reading the card",
        "step_generate_key": "Making the keys (this takes 10 to 45 seconds)",
        "step_put_certificate": "Writing the certificates",
        "step_activate": "Activating",
        "done": "Your ZORG-ID Smartcard is ready.", "valid_until": "Valid until",
        "done_next": "You can use the card now. The portal shows it as active.",
        "failed": "It did not work", "again": "Start again",
        "language": "Nederlands",
        "intro_more": "Have a card already? Then you can change your PIN or check your card "
                      "here too. PIN forgotten or blocked? Choose that at your card in the "
                      "portal: it then shows a pairing code to type below.",
        "services": "Your card", "change_pin": "Change PIN", "inspect": "Check my card",
        "home": "Back",
        "change_pin_intro": "Put your ZORG-ID Smartcard in the reader. Type your current PIN "
                            "and choose a new one of 6 to 8 digits.",
        "old_pin": "Current PIN", "new_pin": "New PIN", "new_pin_again": "New PIN again",
        "change": "Change PIN",
        "pin_changed": "Your PIN has been changed. Use the new PIN from now on.",
        "unblock_title": "Unblock the PIN", "unblock_for": "Unblock the PIN for",
        "own_card": "Card",
        "unblock_intro": "Type the PUK you chose when the card was made, and choose a new "
                         "PIN of 6 to 8 digits. Mind: after three wrong PUKs the card can no "
                         "longer be used.",
        "unblock": "Unblock the PIN",
        "unblocked": "Your PIN is unblocked. You can use the card again with your new PIN.",
        "puk_blocked": "The PUK is now blocked too, so this card can no longer be used. The "
                       "card has been revoked. Make a new card in the portal; you need your "
                       "UZI pass and a blank card for it.",
        "check_title": "Your card", "serial": "Card number", "holder": "Holder",
        "status": "Status", "days_left": "Days until it ends",
        "blank_card": "This is a blank card: there is no ZORG-ID on it yet. Make a card of "
                      "it in the portal.",
        "ends_soon": "Your card ends soon. Ask for a new card in time.",
    },
}

def _portal(lang: str, prefix: str) -> dict[str, str]:
    """The portal's texts whose key starts with `prefix`, by the rest of the key."""
    return {key[len(prefix):]: text for key, text in PORTAL_TEXTS[lang].items()
            if key.startswith(prefix)}


# a card's status, and why it was revoked, as the portal says them
for _lang in TEXTS:
    TEXTS[_lang].update({key: text for key, text in PORTAL_TEXTS[_lang].items()
                         if key.startswith("status_")})
TEXTS_REASONS = {lang: _portal(lang, "reason_") for lang in TEXTS}

# per code: what went wrong and what to do next; {serial} is the job's blank card
PROBLEMS: dict[str, dict[str, str]] = {
    "nl": {
        "api_unreachable": "De ZORG-ID-server is niet bereikbaar. Controleer de "
                           "internetverbinding en klik op Opnieuw controleren.",
        "api_lost": "De ZORG-ID-server was niet meer bereikbaar terwijl de kaart werd "
                    "geschreven. De kaart is nog blanco. Controleer de internetverbinding, "
                    "klik op Opnieuw beginnen en start het aanmaken opnieuw in het portaal.",
        "job_not_running": "Deze aanmaak loopt niet meer (klaar, mislukt of verlopen). "
                           "Start het aanmaken opnieuw in het portaal.",
        "job_idle": "Er gebeurde te lang niets; deze aanmaak is gestopt. Start het aanmaken "
                    "opnieuw in het portaal.",
        "pcsc_unavailable": "De kaartlezerdienst van de computer draait niet. Herstart de "
                            "computer of vraag uw ICT-beheerder de smartcarddienst (pcscd) "
                            "te starten.",
        "no_reader": "Er is geen kaartlezer gevonden. Sluit de kaartlezer aan en klik op "
                     "Opnieuw controleren.",
        "no_card": "Er zit geen kaart in de kaartlezer. Steek blanco kaart {serial} in de "
                   "lezer en klik op Opnieuw controleren.",
        "wrong_card": "Dit is niet blanco kaart {serial}, die u in het portaal koos. Steek "
                      "die kaart in de lezer en klik op Opnieuw controleren.",
        "card_personalised_before": "Deze kaart is al eerder gebruikt en niet meer blanco. "
                                    "Neem een andere blanco kaart en start opnieuw in het "
                                    "portaal.",
        "not_a_blank_card": "Dit is geen blanco ZORG-ID-kaart. Steek blanco kaart {serial} "
                            "in de lezer.",
        "card_unreadable": "De kaart kan niet gelezen worden. Haal hem uit de lezer, steek "
                           "hem er opnieuw in en klik op Opnieuw controleren.",
        "card_removed": "De kaart is uit de lezer gehaald voordat hij klaar was. De kaart is "
                        "nog blanco: start het aanmaken opnieuw in het portaal en laat de "
                        "kaart in de lezer tot het klaar is.",
        "write_failed": "Het schrijven van de kaart is mislukt. De kaart is nog blanco: "
                        "start het aanmaken opnieuw in het portaal.",
        "helper_busy": "Op deze werkplek wordt al een kaart gemaakt. Wacht tot die klaar is.",
        "pin_rules": "Een pincode bestaat uit 6 tot 8 cijfers.",
        "puk_rules": "Een PUK bestaat uit 6 tot 8 cijfers.",
        "pin_mismatch": "De twee pincodes zijn niet gelijk. Typ ze opnieuw.",
        "puk_mismatch": "De twee PUK's zijn niet gelijk. Typ ze opnieuw.",
        "pin_equals_puk": "Kies een PUK die anders is dan uw pincode.",
        "no_job": "Typ eerst de koppelcode uit het portaal.",
        "not_ready": "De kaart is nog niet gecontroleerd.",
        "api_error": "De ZORG-ID-server gaf een onverwacht antwoord. Probeer het later "
                     "opnieuw.",
        "wrong_own_card": "Dit is niet uw kaart {serial}. Steek die kaart in de lezer en "
                          "klik op Opnieuw controleren.",
        "wrong_puk": "De PUK is onjuist. U kunt het nog {tries} keer proberen; daarna is de "
                     "kaart niet meer te gebruiken.",
        "wrong_pin": "De huidige pincode is onjuist. U kunt het nog {tries} keer proberen. "
                     "Pincode vergeten? Kies in het portaal bij uw kaart 'Pincode vergeten "
                     "of geblokkeerd'.",
        "pin_blocked": "Uw pincode is geblokkeerd. Kies in het portaal bij uw kaart "
                       "'Pincode vergeten of geblokkeerd' en deblokkeer hem hier met uw PUK.",
        "pin_unchanged": "Kies een nieuwe pincode die anders is dan de huidige.",
        "not_a_zorgid_card": "Dit is geen ZORG-ID Smartcard, of hij kan niet gelezen worden. "
                             "Steek uw ZORG-ID-kaart in de lezer en probeer het opnieuw.",
        "card_removed_service": "De kaart is uit de lezer gehaald. Steek hem terug en "
                                "probeer het opnieuw.",
        "api_unreachable_check": "De ZORG-ID-server is niet bereikbaar, dus de status van "
                                 "de kaart is niet bekend. Controleer de internetverbinding "
                                 "en probeer het opnieuw.",
        "unblocked_not_recorded": "Uw pincode is gedeblokkeerd en u kunt de kaart weer "
                                  "gebruiken, maar de ZORG-ID-server kon het niet "
                                  "vastleggen. U hoeft niets te doen.",
        "puk_blocked_not_recorded": "Ook de PUK is geblokkeerd, dus deze kaart kan niet meer "
                                    "worden gebruikt, maar de ZORG-ID-server kon dat niet "
                                    "vastleggen. Trek de kaart in het portaal in (reden: "
                                    "PUK geblokkeerd) en maak een nieuwe kaart.",
        **ERRORS_NL,
    },
    "en": {
        "api_unreachable": "The ZORG-ID server does not answer. Check the internet "
                           "connection and click Check again.",
        "api_lost": "The ZORG-ID server stopped answering while the card was written. The "
                    "card is still blank. Check the internet connection, click Start again "
                    "and start creating the card again in the portal.",
        "job_not_running": "This card creation no longer runs (done, failed or expired). "
                           "Start it again in the portal.",
        "job_idle": "Nothing happened for too long; this card creation was stopped. Start "
                    "it again in the portal.",
        "pcsc_unavailable": "The computer's smart card service is not running. Restart the "
                            "computer or ask IT to start it (pcscd).",
        "no_reader": "No card reader was found. Connect the reader and click Check again.",
        "no_card": "There is no card in the reader. Put blank card {serial} in the reader "
                   "and click Check again.",
        "wrong_card": "This is not blank card {serial}, which you chose in the portal. Put "
                      "that card in the reader and click Check again.",
        "card_personalised_before": "This card has been used before and is not blank. Take "
                                    "another blank card and start again in the portal.",
        "not_a_blank_card": "This is not a ZORG-ID blank card. Put blank card {serial} in "
                            "the reader.",
        "card_unreadable": "The card cannot be read. Take it out, put it back and click "
                           "Check again.",
        "card_removed": "The card was taken out before it was ready. It is still blank: "
                        "start again in the portal and leave the card in until it is done.",
        "write_failed": "Writing the card failed. It is still blank: start again in the "
                        "portal.",
        "helper_busy": "A card is being made at this workstation already. Wait until it is "
                       "done.",
        "pin_rules": "A PIN is 6 to 8 digits.", "puk_rules": "A PUK is 6 to 8 digits.",
        "pin_mismatch": "The two PINs differ. Type them again.",
        "puk_mismatch": "The two PUKs differ. Type them again.",
        "pin_equals_puk": "Choose a PUK that differs from your PIN.",
        "no_job": "Type the pairing code from the portal first.",
        "not_ready": "The card has not been checked yet.",
        "api_error": "The ZORG-ID server answered unexpectedly. Try again later.",
        "wrong_own_card": "This is not your card {serial}. Put that card in the reader and "
                          "click Check again.",
        "wrong_puk": "The PUK is wrong. You can try {tries} more times; after that the card "
                     "can no longer be used.",
        "wrong_pin": "The current PIN is wrong. You can try {tries} more times. Forgot it? "
                     "Choose 'PIN forgotten or blocked' at your card in the portal.",
        "pin_blocked": "Your PIN is blocked. Choose 'PIN forgotten or blocked' at your card "
                       "in the portal and unblock it here with your PUK.",
        "pin_unchanged": "Choose a new PIN that differs from the current one.",
        "not_a_zorgid_card": "This is not a ZORG-ID Smartcard, or it cannot be read. Put "
                             "your ZORG-ID card in the reader and try again.",
        "card_removed_service": "The card was taken out of the reader. Put it back and try "
                                "again.",
        "api_unreachable_check": "The ZORG-ID server does not answer, so the card's status "
                                 "is not known. Check the internet connection and try "
                                 "again.",
        "unblocked_not_recorded": "Your PIN is unblocked and the card can be used again, but "
                                  "the ZORG-ID server could not record it. Nothing to do.",
        "puk_blocked_not_recorded": "The PUK is blocked too, so this card can no longer be "
                                    "used, but the ZORG-ID server could not record it. "
                                    "Revoke the card in the portal (reason: PUK blocked) "
                                    "and make a new card.",
    },
}


def problem(language: str, code: str, **values: str) -> str:
    """The sentence for a code; an unknown code still gets a way forward."""
    texts = PROBLEMS[language]
    text = texts.get(code) or PROBLEMS["nl" if language == "nl" else "en"].get(code) or (
        "Er ging iets mis ({code}). Start het aanmaken opnieuw in het portaal."
        if language == "nl" else "Something went wrong ({code}). Start again in the portal.")
    try:
        return text.format(code=code, **values)
    except (KeyError, IndexError):
        return text
