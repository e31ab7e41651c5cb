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
        "invoices": "Facturen", "invoice_number": "Factuurnummer", "period": "Periode",
        "guest_use": "Gastgebruik", "from": "Van", "until": "Tot en met", "end": "Beëindigen",
        "grant_guest_use": "Gastgebruik toekennen",
        "guest_use_granted": "Gastgebruik is toegekend.",
        "guest_use_ended": "Gastgebruik is beëindigd.",
        "link_requests": "Koppelverzoeken", "asked_on": "Gevraagd op",
        "approve": "Goedkeuren", "decline": "Weigeren", "no_link_requests": "Geen open verzoeken.",
        "invite_by_uzi": "Medewerker uitnodigen om een kaart te koppelen (UZI-nummer)",
        "invite": "Uitnodigen", "invitations": "Openstaande uitnodigingen",
        "invited_on": "Uitgenodigd op", "withdraw": "Intrekken",
        "link_requested": "Uw verzoek is verstuurd. Een beheerder van de praktijk keurt het goed.",
        "link_request_ended": "Het koppelverzoek is beëindigd.",
        "invited": "De uitnodiging is verstuurd. De kaart wordt gekoppeld zodra de houder "
                   "accepteert.",
        "invitation_ended": "De uitnodiging is beëindigd.",
        "ask_link": "Koppeling vragen aan praktijk (URA-nummer)", "ask": "Vragen",
        "asked_at": "Gevraagd bij", "invitation_from": "Uitnodiging van",
        "accept": "Accepteren",
        "ending_soon": "Kaarten die binnen 90 dagen aflopen",
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
        "creation_started": "Creation has started.",
        "invoices": "Invoices", "invoice_number": "Invoice number", "period": "Period",
        "guest_use": "Guest use", "from": "From", "until": "Until", "end": "End",
        "grant_guest_use": "Grant guest use", "guest_use_granted": "Guest use granted.",
        "guest_use_ended": "Guest use ended.",
        "link_requests": "Link requests", "asked_on": "Asked on",
        "approve": "Approve", "decline": "Decline", "no_link_requests": "No open requests.",
        "invite_by_uzi": "Invite an employee to link their card (UZI number)",
        "invite": "Invite", "invitations": "Open invitations",
        "invited_on": "Invited on", "withdraw": "Withdraw",
        "link_requested": "Your request was sent. A manager of the practice approves it.",
        "link_request_ended": "The link request has ended.",
        "invited": "The invitation was sent. The card is linked once its holder accepts.",
        "invitation_ended": "The invitation has ended.",
        "ask_link": "Ask a practice to link this card (URA number)", "ask": "Ask",
        "asked_at": "Asked at", "invitation_from": "Invitation from",
        "accept": "Accept",
        "ending_soon": "Cards ending within 90 days",
        "none_ending_soon": "No cards end within 90 days.",
    },
}
# What a person sees when the rules refuse; the API's codes stay English.
ERRORS_NL = {
    "not_holder_or_manager": "Alleen de houder of een beheerder van een gekoppelde praktijk "
                             "mag dit.",
    "card_revoked": "Deze kaart is al ingetrokken.",
    "card_expired": "Deze kaart is verlopen.",
    "card_suspended": "Deze kaart is al geschorst.",
    "card_not_found": "Er is geen kaart met dat serienummer.",
    "already_linked": "Deze kaart is al aan de praktijk gekoppeld.",
    "card_not_blank": "Deze kaart is al gebruikt.",
    "blank_card_not_for_practice": "Deze blanco kaart is naar een andere praktijk gestuurd "
                                   "dan die op uw UZI-pas.",
    "manager_cannot_hold_card": "Een beheerder of administrator kan geen kaart aanmaken.",
    "uzi_pass_not_named_employee": "Een kaart maakt u met uw eigen UZI-medewerkerspas op naam.",
    "uzi_pass_required": "Log in met uw UZI-medewerkerspas om een kaart te maken, niet met "
                         "een ZORG-ID kaart.",
    "guest_use_overlaps": "Er is al gastgebruik bij deze praktijk in die periode.",
    "invalid_period": "De einddatum ligt voor de begindatum.",
    "period_in_past": "Die periode ligt in het verleden.",
    "date_out_of_range": "Die datum ligt te ver in de toekomst. Kies een datum binnen de "
                         "geldigheid van de kaart.",
    "guest_use_beyond_card_expiry": "De kaart is niet zo lang geldig. Kies een einddatum "
                                    "voor het einde van de kaart.",
    "invalid_reason": "Vul een reden in van 1 tot 200 tekens, met gewone letters en cijfers.",
    "link_consent_required": "Koppelen kan alleen met toestemming van beide kanten: de houder "
                             "vraagt het aan en een beheerder keurt het goed, of de praktijk "
                             "nodigt uit en de houder accepteert.",
    "not_holder": "Alleen de houder van de kaart kan vragen om koppeling aan een praktijk.",
    "not_manager": "Alleen een administrator of beheerder van deze praktijk mag dit.",
    "link_already_requested": "U heeft al gevraagd om koppeling aan deze praktijk. Een "
                              "beheerder daar keurt het goed of wijst het af.",
    "no_link_request": "Er is geen open koppelverzoek voor deze kaart bij deze praktijk.",
    "already_invited": "Deze persoon is al uitgenodigd om een kaart te koppelen.",
    "no_link_invitation": "Er is geen open uitnodiging voor deze persoon.",
    "practice_not_registered": "Deze praktijk is niet aangemeld voor ZORG-ID. Controleer het "
                               "URA-nummer.",
    "invalid_ura": "Een URA-nummer bestaat uit 8 cijfers.",
    "invalid_uzi_number": "Een UZI-nummer bestaat uit 9 cijfers.",
}



def language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"
