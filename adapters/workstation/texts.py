"""What ZORG-ID Werkplek says, in Dutch (the default) and English: each page's words,
and per code what went wrong and what to do next."""

from __future__ import annotations

from adapters.http.portal.texts import ERRORS_NL

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
    },
}

# per code: what went wrong and what to do next; {serial} is the job's blank card
PROBLEMS: dict[str, dict[str, str]] = {
    "nl": {
        "api_unreachable": "De ZORG-ID-server is niet bereikbaar. Controleer de "
                           "internetverbinding en klik op Opnieuw controleren.",
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
        **ERRORS_NL,
    },
    "en": {
        "api_unreachable": "The ZORG-ID server does not answer. Check the internet "
                           "connection and click Check again.",
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
