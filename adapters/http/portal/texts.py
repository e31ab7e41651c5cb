"""What the portal says, in Dutch (the default) and English; the API's codes stay
English, a person reads these."""

from __future__ import annotations

from fastapi import Request

from domain.card import RevocationReason

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "ZORG-ID Smartcard portaal", "logged_in_as": "Ingelogd als",
        "demo_banner": "DEMO-OMGEVING: inloggen met demo-identiteiten, niet voor echte "
                       "patiëntgegevens.",
        "cards_of": "Kaarten van", "holder": "Houder", "serial": "Serienummer",
        "status": "Status", "valid_until": "Geldig tot", "revoke": "Intrekken",
        "suspend": "Schorsen", "expiring_per_month": "Verlopende kaarten per maand",
        "my_cards": "Mijn kaarten", "no_cards": "Geen kaarten.",
        "status_active": "actief", "status_suspended": "geschorst",
        "status_revoked": "ingetrokken", "status_expired": "verlopen",
        "status_blank": "blanco", "status_personalising": "in aanmaak",
        "revoked": "De kaart is ingetrokken.", "suspended": "De kaart is geschorst.",
        "dev_login_intro": "Kies een demo-identiteit om in te loggen.",
        "reason_loss_or_theft": "kaart verloren of gestolen",
        "reason_defect": "kaart werkt niet meer",
        "reason_key_compromise": "kaart misbruikt of niet meer veilig",
        "reason_pin_or_puk_disclosed": "een ander kent de pincode of PUK",
        "reason_puk_blocked": "PUK geblokkeerd (te vaak fout ingevoerd)",
        "reason_organisation_ceased": "de praktijk is gestopt",
        "reason_data_incorrect": "gegevens op de kaart kloppen niet",
        "reason_no_longer_eligible": "houder mag de kaart niet meer gebruiken",
        "reason_superseded": "vervangen door een nieuwe kaart",
        "unlink": "Ontkoppelen", "link": "Koppelen", "link_card": "Kaart koppelen (serienummer)",
        "linked": "De kaart is gekoppeld.", "unlinked": "De kaart is ontkoppeld.",
        "orders": "Bestellingen", "placed": "Besteld", "quantity": "Aantal",
        "order_status": "Status", "total": "Totaal incl. btw",
        "order_placed": "besteld", "order_shipped": "verzonden",
        "order_cancelled": "geannuleerd",
        "create_card": "Mijn kaart aanmaken (serienummer van de blanco kaart)",
        "start": "Starten", "job": "Aanmaak van kaart",
        "job_started": "wacht op de kaartlezer", "job_certificates_issued": "certificaten "
        "uitgegeven", "job_activated": "klaar, de kaart is actief",
        "job_failed": "mislukt, probeer opnieuw", "creation_started": "De aanmaak is gestart.",
        "agent_hint": "Steek de blanco kaart in de kaartlezer en voer op uw werkplek uit "
                      "(u kiest daar zelf uw pincode en PUK):",
        "pairing_hint": "Open ZORG-ID Werkplek op de computer met de kaartlezer en typ daar "
                        "deze koppelcode:",
        "pairing_valid": "De code is 15 minuten geldig en werkt één keer. U kiest uw pincode "
                         "en PUK in ZORG-ID Werkplek, niet hier.",
        "pairing_install": "ZORG-ID Werkplek installeren",
        "ws_title": "ZORG-ID Werkplek", "ws_install": "Eenmalig installeren",
        "ws_intro": "Met ZORG-ID Werkplek maakt u uw ZORG-ID Smartcard aan en wijzigt of "
                    "deblokkeert u uw pincode. Het programma draait op de computer met de "
                    "kaartlezer; uw pincode en PUK blijven op die computer.",
        "ws_install_note": "Vraag uw ICT-beheerder als u dit niet zelf mag installeren. "
                           "De kaartlezer (bijvoorbeeld een Omnikey) hoeft u niet apart te "
                           "installeren.",
        "ws_use": "Gebruiken", "ws_step_start": "Start het programma:",
        "ws_step_portal": "Start in het portaal het aanmaken van uw kaart; het portaal "
                          "toont een koppelcode.",
        "ws_step_code": "Typ de koppelcode in ZORG-ID Werkplek en steek de blanco kaart in "
                        "de kaartlezer.",
        "ws_step_pin": "Kies uw pincode en PUK in ZORG-ID Werkplek en wacht tot de kaart "
                       "klaar is.",
        "paired_with": "ZORG-ID Werkplek op",
        "paired_next": "maakt nu uw kaart. Volg de stappen daar; deze pagina ververst vanzelf.",
        "failed_card_removed": "De kaart is uit de lezer gehaald voordat hij klaar was. De "
                               "kaart is nog blanco: start het aanmaken opnieuw en laat de "
                               "kaart in de lezer tot het klaar is.",
        "failed_wrong_card": "Er zat een andere kaart in de lezer dan de blanco kaart die u "
                             "koos. Start het aanmaken opnieuw met de juiste kaart.",
        "failed_choose_pin": "Er gebeurde te lang niets op de werkplek. Start het aanmaken "
                             "opnieuw.",
        "failed_abandoned": "De werkplek meldde zich niet meer. De kaart is nog blanco: start "
                            "het aanmaken opnieuw.",
        "failed_read_card": "De kaart kon niet gelezen worden. Steek hem opnieuw in de lezer "
                            "en start het aanmaken opnieuw.",
        "failed_api_unreachable": "De ZORG-ID-server was even niet bereikbaar terwijl de "
                                  "kaart werd geschreven. De kaart is nog blanco: start het "
                                  "aanmaken opnieuw.",
        "failed_other": "Het schrijven van de kaart is niet afgemaakt. De kaart is nog "
                        "blanco: start het aanmaken opnieuw.",
        "reminders": "Herinneringen per e-mail",
        "reminders_intro": "90, 30 en 7 dagen voordat uw kaart afloopt (en als beheerder: "
                           "een kaart van uw praktijk) krijgt u een e-mail, zodat u op tijd "
                           "een nieuwe kaart maakt.",
        "email": "E-mailadres", "save": "Opslaan", "remove_email": "E-mailadres weghalen",
        "email_saved": "Uw e-mailadres is opgeslagen.",
        "email_removed": "Uw e-mailadres is weggehaald; u krijgt geen herinneringen meer.",
        "pin": "Pincode", "change_pin": "Pincode wijzigen",
        "change_pin_how": "Open ZORG-ID Werkplek op de computer met de kaartlezer, steek uw "
                          "kaart erin en kies Pincode wijzigen. U hebt er geen code voor "
                          "nodig.",
        "pin_forgotten": "Pincode vergeten of geblokkeerd",
        "pin_service_started": "Typ de koppelcode hieronder in ZORG-ID Werkplek.",
        "pin_pairing_hint": "Open ZORG-ID Werkplek, steek uw kaart in de lezer en typ daar "
                            "deze koppelcode om uw pincode te deblokkeren",
        "pin_pairing_valid": "De code is 15 minuten geldig en werkt één keer. U hebt uw PUK "
                             "nodig; die typt u in ZORG-ID Werkplek, niet hier.",
        "pin_paired_next": "deblokkeert nu uw pincode. Volg de stappen daar.",
        "pin_unblocked": "Uw pincode is gedeblokkeerd. U kunt uw kaart weer gebruiken.",
        "puk_blocked_card": "Uw kaart {serial} is ingetrokken omdat ook de PUK geblokkeerd "
                            "is. Maak hieronder een nieuwe kaart: typ het serienummer van een "
                            "blanco kaart van uw praktijk en klik op Starten.",
        "invoices": "Facturen", "invoice_number": "Factuurnummer", "period": "Periode",
        "guest_use": "Gastgebruik", "from": "Van", "until": "Tot en met", "end": "Beëindigen",
        "grant_guest_use": "Gastgebruik toekennen",
        "guest_use_granted": "Gastgebruik is toegekend.",
        "guest_use_ended": "Gastgebruik is beëindigd.",
        "link_requests": "Koppelverzoeken", "asked_on": "Gevraagd op",
        "approve": "Goedkeuren", "decline": "Weigeren", "no_link_requests": "Geen open verzoeken.",
        "invite_by_uzi": "Medewerker uitnodigen om een kaart te koppelen (UZI-nummer)",
        "invite": "Uitnodigen", "invitations": "Openstaande uitnodigingen",
        "invited_on": "Uitgenodigd op", "withdraw_request": "Verzoek intrekken",
        "withdraw_invitation": "Uitnodiging intrekken",
        "link_requested": "Uw verzoek is verstuurd. Een beheerder van de praktijk keurt het goed.",
        "link_request_ended": "Het koppelverzoek is beëindigd.",
        "invited": "De uitnodiging is verstuurd. De kaart wordt gekoppeld zodra de houder "
                   "accepteert.",
        "invitation_ended": "De uitnodiging is beëindigd.",
        "ask_link": "Koppeling vragen aan praktijk (URA-nummer)", "ask": "Vragen",
        "asked_at": "Gevraagd bij", "invitation_from": "Uitnodiging van",
        "accept": "Accepteren",
        "ending_soon": "Kaarten die binnen 90 dagen aflopen",
        "login_title": "U bent nog niet ingelogd",
        "login_step_card": "Steek uw UZI-pas of uw ZORG-ID Smartcard in de kaartlezer.",
        "login_step_choose": "Vernieuw deze pagina. Uw browser vraagt welk certificaat u wilt "
                             "gebruiken: kies het certificaat met uw naam.",
        "login_step_pin": "Vul de pincode van uw pas in als daarom wordt gevraagd.",
        "login_trouble": "Lukt het niet? Kijk of de kaartlezer is aangesloten en de pas goed "
                         "in de lezer zit, en vraag anders de beheerder van uw praktijk om hulp.",
        "try_again": "Opnieuw proberen", "back_to_portal": "Terug naar het portaal",
        "resume": "Schorsing opheffen", "resumed": "De schorsing is opgeheven.",
        "cancel": "Annuleren",
        "revoke_question": "Kaart {serial} van {holder} intrekken?",
        "revoke_consequence": "Reden: {reason}. Dit kan niet ongedaan worden gemaakt: de kaart "
                              "werkt daarna nergens meer, ook niet bij andere praktijken. "
                              "De houder maakt zelf een nieuwe kaart met de UZI-pas. Is de "
                              "kaart alleen kwijt en komt hij misschien terug? Kies dan "
                              "Schorsen.",
        "revoke_confirm": "Ja, kaart intrekken",
        "unlink_question": "Kaart {serial} van {holder} ontkoppelen van {practice}?",
        "unlink_consequence": "De kaart blijft geldig en de houder kan hem bij andere "
                              "praktijken blijven gebruiken. U ziet en beheert de kaart daarna "
                              "niet meer; opnieuw koppelen kan alleen als de houder dat vraagt "
                              "of uw uitnodiging accepteert.",
        "unlink_confirm": "Ja, ontkoppelen",
        "blank_in_stock": "Blanco kaarten op voorraad", "received": "ontvangen",
        "used": "gebruikt", "order_blank_cards": "Blanco kaarten bestellen (aantal)",
        "see_price": "Prijs bekijken", "order_for": "Bestelling voor",
        "description": "Omschrijving", "unit_price": "Prijs per stuk", "amount": "Bedrag",
        "net": "Totaal excl. btw", "vat": "Btw",
        "order_terms": "Elke kaart is drie jaar geldig vanaf het moment dat een medewerker "
                       "hem aanmaakt. Na het bestellen ontvangt u de kaarten per post en de "
                       "factuur in dit portaal.",
        "place_order": "Bestellen", "order_placed_notice": "Uw bestelling is geplaatst.",
        "none_ending_soon": "Geen kaarten lopen binnen 90 dagen af.",
    },
    "en": {
        "title": "ZORG-ID Smartcard portal", "logged_in_as": "Logged in as",
        "demo_banner": "DEMO ENVIRONMENT: log in with demo identities, not for real "
                       "patient data.",
        "cards_of": "Cards of", "holder": "Holder", "serial": "Serial",
        "status": "Status", "valid_until": "Valid until", "revoke": "Revoke",
        "suspend": "Suspend", "expiring_per_month": "Cards expiring per month",
        "my_cards": "My cards", "no_cards": "No cards.",
        "status_active": "active", "status_suspended": "suspended",
        "status_revoked": "revoked", "status_expired": "expired",
        "status_blank": "blank", "status_personalising": "being created",
        "revoked": "The card has been revoked.", "suspended": "The card has been suspended.",
        "dev_login_intro": "Choose a demo identity to log in.",
        **{f"reason_{r.value}": r.value.replace("_", " ") for r in RevocationReason},
        "unlink": "Unlink", "link": "Link", "link_card": "Link a card (serial)",
        "linked": "The card has been linked.", "unlinked": "The card has been unlinked.",
        "orders": "Orders", "placed": "Placed", "quantity": "Quantity",
        "order_status": "Status", "total": "Total incl. VAT",
        "order_placed": "placed", "order_shipped": "shipped", "order_cancelled": "cancelled",
        "create_card": "Create my card (serial of the blank card)", "start": "Start",
        "job": "Creating card", "job_started": "waiting for the card reader",
        "job_certificates_issued": "certificates issued",
        "job_activated": "done, the card is active", "job_failed": "failed, try again",
        "agent_hint": "Put the blank card in the card reader and run this at your workstation "
                      "(you choose your PIN and PUK there):",
        "pairing_hint": "Open ZORG-ID Workstation on the computer with the card reader and "
                        "type this pairing code there:",
        "pairing_valid": "The code is valid for 15 minutes and works once. You choose your "
                         "PIN and PUK in ZORG-ID Workstation, not here.",
        "pairing_install": "Install ZORG-ID Workstation",
        "ws_title": "ZORG-ID Workstation", "ws_install": "Install once",
        "ws_intro": "With ZORG-ID Workstation you create your ZORG-ID Smartcard and change "
                    "or unblock your PIN. It runs on the computer with the card reader; your "
                    "PIN and PUK stay on that computer.",
        "ws_install_note": "Ask your IT administrator if you may not install it yourself. "
                           "The card reader (an Omnikey, say) needs nothing installed.",
        "ws_use": "Using it", "ws_step_start": "Start the program:",
        "ws_step_portal": "Start creating your card in the portal; it shows a pairing "
                          "code.",
        "ws_step_code": "Type the pairing code into ZORG-ID Workstation and put the blank "
                        "card in the reader.",
        "ws_step_pin": "Choose your PIN and PUK in ZORG-ID Workstation and wait until the "
                       "card is ready.",
        "paired_with": "ZORG-ID Workstation on",
        "failed_card_removed": "The card was taken out before it was ready. It is still "
                               "blank: start again and leave the card in until it is done.",
        "failed_wrong_card": "Another card than the blank card you chose was in the reader. "
                             "Start again with the right card.",
        "failed_choose_pin": "Nothing happened at the workstation for too long. Start again.",
        "failed_abandoned": "The workstation stopped reporting. The card is still blank: "
                            "start again.",
        "failed_read_card": "The card could not be read. Put it back in the reader and "
                            "start again.",
        "failed_api_unreachable": "The ZORG-ID server did not answer while the card was "
                                  "written. The card is still blank: start again.",
        "failed_other": "Writing the card was not finished. The card is still blank: start "
                        "again.",
        "reminders": "Reminders by e-mail",
        "reminders_intro": "90, 30 and 7 days before your card ends (and, as a manager, a "
                           "card of your practice) you get an e-mail, so you make a new card "
                           "in time.",
        "email": "E-mail address", "save": "Save", "remove_email": "Remove e-mail address",
        "email_saved": "Your e-mail address has been saved.",
        "email_removed": "Your e-mail address has been removed; no more reminders.",
        "pin": "PIN", "change_pin": "Change PIN",
        "change_pin_how": "Open ZORG-ID Workstation on the computer with the card reader, "
                          "put your card in and choose Change PIN. No code is needed.",
        "pin_forgotten": "PIN forgotten or blocked",
        "pin_service_started": "Type the pairing code below into ZORG-ID Workstation.",
        "pin_pairing_hint": "Open ZORG-ID Workstation, put your card in the reader and type "
                            "this pairing code there to unblock your PIN",
        "pin_pairing_valid": "The code is valid for 15 minutes and works once. You need your "
                             "PUK; you type it into ZORG-ID Workstation, not here.",
        "pin_paired_next": "is unblocking your PIN now. Follow its steps.",
        "pin_unblocked": "Your PIN is unblocked. You can use your card again.",
        "puk_blocked_card": "Your card {serial} has been revoked because its PUK is blocked "
                            "too. Make a new card below: type the serial of a blank card of "
                            "your practice and click Start.",
        "paired_next": "is making your card now. Follow its steps; this page refreshes by "
                       "itself.",
        "creation_started": "Creation has started.",
        "invoices": "Invoices", "invoice_number": "Invoice number", "period": "Period",
        "guest_use": "Guest use", "from": "From", "until": "Until", "end": "End",
        "grant_guest_use": "Grant guest use", "guest_use_granted": "Guest use granted.",
        "guest_use_ended": "Guest use ended.",
        "link_requests": "Link requests", "asked_on": "Asked on",
        "approve": "Approve", "decline": "Decline", "no_link_requests": "No open requests.",
        "invite_by_uzi": "Invite an employee to link their card (UZI number)",
        "invite": "Invite", "invitations": "Open invitations",
        "invited_on": "Invited on", "withdraw_request": "Withdraw the request",
        "withdraw_invitation": "Withdraw the invitation",
        "link_requested": "Your request was sent. A manager of the practice approves it.",
        "link_request_ended": "The link request has ended.",
        "invited": "The invitation was sent. The card is linked once its holder accepts.",
        "invitation_ended": "The invitation has ended.",
        "ask_link": "Ask a practice to link this card (URA number)", "ask": "Ask",
        "asked_at": "Asked at", "invitation_from": "Invitation from",
        "accept": "Accept",
        "ending_soon": "Cards ending within 90 days",
        "login_title": "You are not logged in yet",
        "login_step_card": "Put your UZI pass or your ZORG-ID Smartcard in the card reader.",
        "login_step_choose": "Reload this page. Your browser asks which certificate to use: "
                             "choose the one with your name.",
        "login_step_pin": "Enter your card's PIN when asked.",
        "login_trouble": "Does it not work? Check that the card reader is connected and the "
                         "card is in it properly, or ask your practice's manager for help.",
        "try_again": "Try again", "back_to_portal": "Back to the portal",
        "resume": "Lift suspension", "resumed": "The suspension has been lifted.",
        "cancel": "Cancel",
        "revoke_question": "Revoke card {serial} of {holder}?",
        "revoke_consequence": "Reason: {reason}. This cannot be undone: the card will not "
                              "work anywhere any more, at other practices neither. The holder "
                              "makes a new card with their UZI pass. Is the card only lost "
                              "and may it turn up? Choose Suspend instead.",
        "revoke_confirm": "Yes, revoke the card",
        "unlink_question": "Unlink card {serial} of {holder} from {practice}?",
        "unlink_consequence": "The card stays valid and its holder can go on using it at "
                              "other practices. You no longer see or manage it; linking it "
                              "again takes the holder's request or their acceptance of your "
                              "invitation.",
        "unlink_confirm": "Yes, unlink",
        "blank_in_stock": "Blank cards in stock", "received": "received", "used": "used",
        "order_blank_cards": "Order blank cards (quantity)", "see_price": "See the price",
        "order_for": "Order for", "description": "Description", "unit_price": "Unit price",
        "amount": "Amount", "net": "Total excl. VAT", "vat": "VAT",
        "order_terms": "Each card is valid for three years from the moment an employee "
                       "creates it. After ordering, the cards come by post and the invoice "
                       "appears in this portal.",
        "place_order": "Place order", "order_placed_notice": "Your order has been placed.",
        "none_ending_soon": "No cards end within 90 days.",
    },
}
# What a person sees when the rules refuse; the API's codes stay English.
ERRORS_NL = {
    # cards
    "not_holder_or_manager": "Alleen de houder of een beheerder van een gekoppelde praktijk "
                             "mag dit.",
    "card_revoked": "Deze kaart is ingetrokken.",
    "invalid_pairing_code": "Een koppelcode bestaat uit 8 letters en cijfers, zoals "
                            "ABCD-EFGH. Typ de code over die het portaal toont.",
    "pairing_code_unknown": "Deze koppelcode kennen we niet (meer). Controleer de code, of "
                            "vraag in het portaal een nieuwe code.",
    "job_already_claimed": "Een andere werkplek is al met deze kaart bezig. Vraag in het "
                           "portaal een nieuwe code.",
    "pairing_expired": "Deze koppelcode is verlopen. Vraag in het portaal een nieuwe code.",
    "pin_service_not_open": "Deze aanvraag voor uw pincode is afgelopen of vervangen door een "
                            "nieuwere. Vraag in het portaal een nieuwe code.",
    "card_login_required": "Log voor het verlengen in met de kaart zelf, niet met uw UZI-pas.",
    "renewal_window_not_open": "Deze kaart kunt u nog niet verlengen; dat kan vanaf 90 dagen "
                               "voor het einde.",
    "fresh_identity_required": "Deze kaart is al eens met de kaart zelf verlengd. Maak de "
                               "nieuwe kaart met uw UZI-pas.",
    "invalid_email": "Dit is geen e-mailadres. Typ het als naam@praktijk.nl.",
    "no_email_address": "U hebt geen e-mailadres opgegeven.",
    "person_not_found": "Deze persoon kennen we niet.",
    "reminder_already_sent": "Deze herinnering is al verstuurd.",
    "reminder_not_sending": "Deze herinnering wordt niet verstuurd.",
    "pin_service_not_found": "Deze aanvraag voor uw pincode kennen we niet. Vraag in het "
                             "portaal een nieuwe code.",
    "pin_service_not_claimed": "Deze aanvraag voor uw pincode is nog niet door een werkplek "
                               "overgenomen. Typ de code in ZORG-ID Werkplek.",
    "invalid_workstation": "De werkplek gaf geen naam op. Start ZORG-ID Werkplek opnieuw.",
    "card_certificate_unknown": "Deze kaart is niet door ZORG-ID uitgegeven of niet "
                                "afgemaakt. Maak een nieuwe kaart of neem contact op met "
                                "uw beheerder.",
    "card_expired": "Deze kaart is verlopen.",
    "card_suspended": "Deze kaart is al geschorst.",
    "card_not_suspended": "Deze kaart is niet geschorst.",
    "card_not_found": "Er is geen kaart met dat serienummer.",
    "card_not_active": "Deze kaart is nog niet in gebruik.",
    "card_not_blank": "Deze kaart is al gebruikt.",
    "card_not_due": "Deze kaart is nog niet verlopen.",
    "card_in_personalisation": "Deze kaart wordt op dit moment aangemaakt. Wacht even of "
                               "probeer het over een kwartier opnieuw.",
    "card_not_personalising": "Deze kaart wordt niet aangemaakt. Begin opnieuw in het portaal.",
    "card_serial_already_shipped": "Een kaart met dit serienummer is al verzonden.",
    "blank_card_not_for_practice": "Deze blanco kaart is naar een andere praktijk gestuurd "
                                   "dan die op uw UZI-pas.",
    "stale_personalisation_job": "Deze aanmaak is verlopen. Begin opnieuw in het portaal.",
    "certificates_already_issued": "Voor deze aanmaak zijn de certificaten al uitgegeven.",
    "certificates_not_issued": "De kaart kan pas actief worden als de certificaten erop "
                               "staan. Probeer de aanmaak opnieuw.",
    "certificate_validity_mismatch": "De certificaten horen niet bij deze kaart. Probeer de "
                                     "aanmaak opnieuw.",
    "no_certificates": "Er zijn geen certificaten meegestuurd.",
    "invalid_public_key": "De sleutels van de kaart konden niet worden gelezen. Probeer "
                          "opnieuw.",
    "employment_ended_is_unlink": "Gaat iemand uit dienst? Ontkoppel de kaart dan; intrekken "
                                  "is niet nodig.",
    "invalid_revocation_reason": "Kies een reden uit de lijst.",
    "reserved_revocation_reason": "Deze reden zet het systeem zelf; kies een andere.",
    "manager_cannot_hold_card": "Een beheerder of administrator kan geen kaart aanmaken.",
    "cardholder_cannot_be_manager": "Iemand met een ZORG-ID kaart kan geen beheerder worden. "
                                    "Laat de kaart eerst intrekken.",
    "uzi_pass_not_named_employee": "Een kaart maakt u met uw eigen UZI-medewerkerspas op naam.",
    "uzi_pass_required": "Log in met uw UZI-medewerkerspas om een kaart te maken, niet met "
                         "een ZORG-ID kaart.",
    "uzi_card_type_not_allowed": "Met dit soort UZI-pas kunt u dit niet doen.",
    # what a blank card said at the workstation
    "card_personalised_before": "Deze kaart is niet meer blanco: hij is al eens aangemaakt. "
                                "Gebruik een nieuwe blanco kaart.",
    "card_management_key_blocked": "Deze kaart is geblokkeerd. Gebruik een nieuwe blanco "
                                   "kaart.",
    "card_key_algorithm_differs": "Deze kaart is anders beveiligd dan geleverd. Neem contact "
                                  "op met support.",
    "no_piv_application": "Dit is geen ZORG-ID blanco kaart. Steek de blanco kaart in de "
                          "kaartlezer.",
    "not_a_blank_card": "Dit is geen ZORG-ID blanco kaart. Steek de blanco kaart in de "
                        "kaartlezer.",
    "card_refused": "De kaart weigerde. Haal hem uit de lezer, steek hem opnieuw in en probeer "
                    "het nog eens.",
    # links (R7)
    "already_linked": "Deze kaart is al aan de praktijk gekoppeld.",
    "not_linked": "Deze kaart is niet aan die praktijk gekoppeld.",
    "link_consent_required": "Koppelen kan alleen met toestemming van beide kanten: de houder "
                             "vraagt het aan en een beheerder keurt het goed, of de praktijk "
                             "nodigt uit en de houder accepteert.",
    "not_holder": "Alleen de houder van de kaart kan vragen om koppeling aan een praktijk.",
    "link_already_requested": "U heeft al gevraagd om koppeling aan deze praktijk. Een "
                              "beheerder daar keurt het goed of wijst het af.",
    "no_link_request": "Er is geen open koppelverzoek voor deze kaart bij deze praktijk.",
    "already_invited": "Deze persoon is al uitgenodigd om een kaart te koppelen.",
    "no_link_invitation": "Er is geen open uitnodiging voor deze persoon.",
    # guest use
    "guest_use_overlaps": "Er is al gastgebruik bij deze praktijk in die periode.",
    "guest_use_beyond_card_expiry": "De kaart is niet zo lang geldig. Kies een einddatum "
                                    "voor het einde van de kaart.",
    "guest_use_ended": "Dit gastgebruik is al beëindigd.",
    "guest_use_not_found": "Dit gastgebruik bestaat niet (meer).",
    "invalid_period": "De einddatum ligt voor de begindatum.",
    "period_in_past": "Die periode ligt in het verleden.",
    "date_out_of_range": "Die datum ligt te ver in de toekomst. Kies een datum binnen de "
                         "geldigheid van de kaart.",
    # practices and managers
    "practice_not_registered": "Deze praktijk is niet aangemeld voor ZORG-ID. Controleer het "
                               "URA-nummer.",
    "practice_not_found": "Er is geen praktijk met dit URA-nummer aangemeld.",
    "practice_already_registered": "Deze praktijk is al aangemeld. Vraag een administrator "
                                   "van de praktijk om u toe te voegen.",
    "ura_mismatch": "Uw UZI-pas hoort bij een andere praktijk dan deze.",
    "not_manager": "Alleen een administrator of beheerder van deze praktijk mag dit.",
    "not_a_manager": "Deze persoon is geen beheerder van de praktijk.",
    "not_administrator": "Alleen een administrator van de praktijk mag dit.",
    "already_manager": "Deze persoon is al beheerder of administrator van de praktijk.",
    "last_administrator": "Een praktijk houdt altijd minstens één administrator. Benoem eerst "
                          "een ander.",
    # orders and money
    "invalid_quantity": "Bestel 1 tot 500 kaarten per keer.",
    "invalid_pricing": "De prijzen zijn niet goed ingesteld. Neem contact op met support.",
    "idempotency_key_reused": "Deze bestelling is al met andere gegevens geplaatst.",
    "invalid_idempotency_key": "De bestelling kon niet worden geplaatst. Probeer opnieuw.",
    "missing_idempotency_key": "De bestelling kon niet worden geplaatst. Probeer opnieuw.",
    "shipment_quantity_mismatch": "Het aantal verzonden kaarten klopt niet met de bestelling.",
    "chip_already_shipped": "Een chip in deze zending is al eerder verzonden.",
    "invalid_key_algorithm": "Kies TDES, AES128, AES192 of AES256 als sleutelalgoritme.",
    "invalid_chip_id": "Een chipnummer ziet eruit als yubico:12345678 of chuid: en 32 tekens.",
    "order_shipped": "Deze bestelling is al verzonden.",
    "order_cancelled": "Deze bestelling is geannuleerd.",
    "order_not_found": "Deze bestelling bestaat niet.",
    "invoice_not_found": "Deze factuur bestaat niet voor deze praktijk.",
    # mandates
    "not_care_provider": "Alleen een zorgverlener met een zorgverlenerspas geeft een mandaat.",
    "self_mandate": "U kunt uzelf geen mandaat geven.",
    "not_grantor": "Alleen wie het mandaat gaf of een administrator trekt het in.",
    "mandate_not_effective": "Dit mandaat geldt niet (meer).",
    "mandate_too_long": "Een mandaat geldt hoogstens drie jaar. Kies een eerdere einddatum.",
    "mandate_not_found": "Dit mandaat bestaat niet.",
    # values typed by people
    "invalid_ura": "Een URA-nummer bestaat uit 8 cijfers.",
    "invalid_uzi_number": "Een UZI-nummer bestaat uit 9 cijfers.",
    "invalid_agb": "Een AGB-code bestaat uit 8 cijfers.",
    "invalid_card_serial": "Een serienummer bestaat uit 6 tot 32 letters, cijfers of streepjes, "
                           "zoals ZID000000001.",
    "invalid_card_type": "Dat is geen soort UZI-pas.",
    "invalid_role_code": "Dat is geen geldige rolcode.",
    "invalid_name": "Vul een naam in.",
    "invalid_reason": "Vul een reden in van 1 tot 200 tekens, met gewone letters en cijfers.",
    "invalid_practice_name": "Vul een praktijknaam in van 1 tot 200 tekens, met gewone "
                             "letters en cijfers.",
    "invalid_manager_name": "Vul een naam in van 1 tot 200 tekens, met gewone letters en "
                            "cijfers.",
    "invalid_field": "Niet alle velden zijn goed ingevuld. Controleer ze en probeer opnieuw.",
    "invalid_status": "Kies een status uit de lijst.",
    "invalid_role": "Kies een rol uit de lijst.",
    "invalid_label": "Een omschrijving is hoogstens 80 gewone tekens.",
    "token_not_found": "Er is geen toegangscode met die naam.",
    "token_ambiguous": "Meer dan één toegangscode begint zo; geef meer tekens van de naam.",
    "invalid_system_actor": "Er ging iets mis bij een gekoppeld systeem. Neem contact op met "
                            "support.",
    "invalid_timestamp": "Dat is geen geldig tijdstip.",
    "naive_datetime": "Geef bij een tijdstip ook de tijdzone op.",
    "malformed": "Het verzoek kon niet worden gelezen. Probeer opnieuw.",
    "body_too_large": "Het verzoek is te groot.",
    # logging in
    "no_credential": "Log in met uw UZI-pas of ZORG-ID kaart: steek de pas in de kaartlezer "
                     "en kies hem als uw browser ernaar vraagt.",
    "untrusted_proxy": "Inloggen met een pas lukt alleen via de beveiligde verbinding. Gebruik "
                       "het adres dat uw praktijk kreeg.",
    "malformed_certificate": "Uw pas kon niet worden gelezen. Steek hem opnieuw in en probeer "
                             "het nog eens.",
    "certificate_expired": "Uw pas is verlopen.",
    "certificate_not_yet_valid": "Uw pas is nog niet geldig.",
    "certificate_revoked": "Uw pas is ingetrokken.",
    "certificate_revocation_unknown": "We konden niet nagaan of uw pas nog geldig is. Probeer "
                                      "het later opnieuw.",
    "certificate_untrusted_chain": "Deze pas wordt hier niet vertrouwd. Gebruik uw UZI-pas of "
                                   "ZORG-ID kaart.",
    "certificate_no_trust_anchors": "Inloggen met een pas is op deze server nog niet "
                                    "ingericht. Neem contact op met support.",
    "certificate_ca_oid_mismatch": "Deze pas wordt hier niet vertrouwd. Gebruik uw UZI-pas of "
                                   "ZORG-ID kaart.",
    "certificate_card_type_not_accepted": "Met dit soort UZI-pas kunt u hier niet inloggen.",
    "certificate_not_an_authentication_certificate": "Kies bij het inloggen het "
                                                     "authenticatiecertificaat van uw pas.",
    "certificate_no_uzi_identity": "Op deze pas staat geen UZI-identiteit.",
    "certificate_malformed_uzi_identity": "De UZI-gegevens op deze pas kloppen niet.",
    "no_uzi_identity": "Op deze pas staat geen UZI-identiteit.",
    "malformed_uzi_identity": "De UZI-gegevens op deze pas kloppen niet.",
    "uzi_pass_expired": "Uw UZI-pas is verlopen. Vraag een nieuwe aan bij het UZI-register.",
    "uzi_pass_not_yet_valid": "Uw UZI-pas is nog niet geldig.",
    "uzi_pass_revoked": "Uw UZI-pas is ingetrokken.",
    "invalid_token": "Deze toegangscode is onbekend of ingetrokken.",
    "invalid_job_token": "Deze aanmaakcode hoort niet bij deze aanmaak. Begin opnieuw in het "
                         "portaal.",
    "person_required": "Dit kan alleen iemand die met een pas is ingelogd.",
    "people_only": "Het portaal is voor mensen die met een pas inloggen.",
    "service_token_required": "Dit is alleen voor gekoppelde systemen.",
    "cross_site_form": "Dit formulier kwam niet van het portaal zelf. Open het portaal opnieuw "
                       "en probeer het daar.",
    "dev_only": "Deze pagina bestaat alleen in de demo-omgeving.",
    # the server and its parts
    "card_ca_unavailable": "Deze server kan nu geen kaarten aanmaken. Neem contact op met "
                           "support.",
    "crl_unavailable": "Deze server publiceert geen intrekkingslijst.",
    "ocsp_unavailable": "Deze server beantwoordt geen OCSP-vragen.",
    "ca_certificate_unavailable": "Deze server heeft het certificaat van de kaart-CA niet.",
    "job_not_found": "Deze aanmaak bestaat niet (meer). Begin opnieuw in het portaal.",
    "concurrent_modification": "Iemand anders wijzigde dit tegelijk. Probeer het opnieuw.",
    "configuration_error": "De server is niet goed ingesteld. Neem contact op met support.",
    "not_found": "Deze pagina bestaat niet.",
    "method_not_allowed": "Deze pagina bestaat niet.",
    "http_error": "Er ging iets mis. Probeer het opnieuw.",
    "before_first_event": "Op dat moment bestond dit nog niet.",
    "unknown_target": "Er is niets met die naam of dat nummer.",
}



def language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"
