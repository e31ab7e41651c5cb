"""What `/openapi.json` tells a vendor beyond what FastAPI derives: how each operation
authenticates (security schemes), a summary and description, and the error codes each
can answer with, per status. One table, so `tests/integration/test_http_contract.py`
can hold every operation to it and the authorisation matrix can check that every code
it meets is documented for its route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from adapters.http.errors import HTTP_ERRORS
from adapters.settings import DEFAULT_CERT_HEADER

SCHEMES = {
    "clientCertificate": {
        "type": "apiKey", "in": "header", "name": DEFAULT_CERT_HEADER,
        "description": "A person's UZI pass or ZORG-ID card: the client certificate the TLS "
                       "proxy verified, PEM (leaf first), URL-encoded. Only the proxy may set "
                       "it (ZORGID_TRUSTED_PROXIES); its name is ZORGID_CLIENT_CERT_HEADER."},
    "serviceToken": {
        "type": "http", "scheme": "bearer",
        "description": "A service's token (fulfilment, billing, auditor, operator), made "
                       "with `zorgid tokens create --role ...`."},
    "jobToken": {
        "type": "http", "scheme": "bearer",
        "description": "The token of one personalisation job, from POST /v1/cards, or of "
                       "one PIN service, from POST /v1/pairings."},
}

# Who may call: the security requirements, and the codes a refused login answers with.
LOGIN = ["no_credential", "untrusted_proxy", "malformed_certificate", "certificate_expired",
         "certificate_not_yet_valid", "certificate_revoked", "certificate_revocation_unknown",
         "certificate_untrusted_chain", "certificate_ca_oid_mismatch",
         "certificate_card_type_not_accepted", "certificate_no_trust_anchors",
         "certificate_not_an_authentication_certificate", "card_revoked",
         "card_certificate_unknown", "invalid_token"]
CALLERS: dict[str, tuple[list[dict[str, list[str]]], dict[int, list[str]]]] = {
    "person": ([{"clientCertificate": []}], {401: LOGIN, 403: ["person_required"]}),
    "anyone": ([{"clientCertificate": []}, {"serviceToken": []}], {401: LOGIN}),
    "service": ([{"serviceToken": []}], {401: LOGIN, 403: ["service_token_required"]}),
    "job": ([{"jobToken": []}], {401: ["no_credential", "invalid_job_token"]}),
    "public": ([], {}),
}
BODY = {400: ["malformed"], 413: ["body_too_large"], 422: ["invalid_field"]}
CONFLICT = ["concurrent_modification"]


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    caller: str
    errors: dict[int, list[str]]
    body: bool = False


def op(summary: str, description: str, caller: str, body: bool = False,
       **errors: list[str]) -> Operation:
    """`e404=[...]` and the like: the codes per status besides the caller's."""
    return Operation(summary, description, caller,
                     {int(k[1:]): v for k, v in errors.items()}, body)


CARD_STATE = ["card_revoked", "card_expired", "card_not_active"]
MANAGER = ["not_manager"]

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("post", "/v1/practices"): op(
        "Register a practice (R1)",
        "The representative, logged in with their own valid UZI pass whose URA is the "
        "practice's, registers it once and becomes its first administrator (R2).",
        "person", body=True, e403=["ura_mismatch", "uzi_card_type_not_allowed"],
        e409=["practice_already_registered", "uzi_pass_expired", "uzi_pass_not_yet_valid",
              "uzi_pass_revoked", *CONFLICT],
        e422=["invalid_ura", "invalid_practice_name", "invalid_field"]),
    ("get", "/v1/practices/{ura}"): op(
        "A practice and its managers",
        "For the practice's managers and auditors.", "anyone",
        e403=MANAGER, e404=["practice_not_found"], e422=["invalid_ura"]),
    ("post", "/v1/practices/{ura}/managers"): op(
        "Appoint an administrator or beheerder (R2)",
        "By an administrator of the practice. A cardholder cannot become a manager (R12).",
        "person", body=True, e403=["not_administrator", "ura_mismatch"],
        e404=["practice_not_found"],
        e409=["already_manager", "cardholder_cannot_be_manager", "uzi_pass_expired",
              *CONFLICT],
        e422=["invalid_uzi_number", "invalid_manager_name", "invalid_field"]),
    ("delete", "/v1/practices/{ura}/managers/{uzi_number}"): op(
        "Dismiss a manager",
        "By an administrator; the practice keeps at least one administrator (R2).",
        "person", e403=["not_administrator"], e404=["practice_not_found"],
        e409=["not_a_manager", "last_administrator", *CONFLICT],
        e422=["invalid_uzi_number"]),
    ("post", "/v1/practices/{ura}/orders"): op(
        "Order blank cards",
        "EUR 75.00 a card for three years plus shipping per order, VAT as configured; the "
        "prices in force are written into the order (R10). The `Idempotency-Key` header "
        "makes a repeated request the same order.", "person", body=True,
        e400=["missing_idempotency_key"], e403=MANAGER, e404=["practice_not_found"],
        e409=["idempotency_key_reused", *CONFLICT],
        e422=["invalid_quantity", "invalid_idempotency_key", "invalid_field"]),
    ("get", "/v1/practices/{ura}/orders"): op(
        "The practice's orders", "For its managers.", "anyone", e403=MANAGER),
    ("get", "/v1/practices/{ura}/cards"): op(
        "The cards linked to the practice now",
        "For its managers; `status` filters (comma-separated). Statuses are as of now "
        "(R11): a card past its end reads as expired.", "anyone",
        e403=MANAGER, e422=["invalid_status"]),
    ("post", "/v1/practices/{ura}/link-invitations"): op(
        "Invite a person to link their card (R7)",
        "A manager invites by UZI number; the link exists once the holder accepts (POST "
        "/v1/cards/{card_id}/links). When that person's card had asked already, it is "
        "linked at once (`status: linked`).", "person", body=True,
        e403=MANAGER, e404=["practice_not_found"],
        e409=["already_invited", "already_linked", "practice_not_registered", *CONFLICT],
        e422=["invalid_uzi_number", "invalid_ura", "invalid_field"]),
    ("get", "/v1/practices/{ura}/link-invitations"): op(
        "The practice's open invitations", "For its managers.", "anyone", e403=MANAGER),
    ("delete", "/v1/practices/{ura}/link-invitations/{uzi_number}"): op(
        "Decline or withdraw an invitation",
        "The invited person declines it, or a manager withdraws it.", "person",
        e403=MANAGER, e404=["practice_not_found"], e409=["no_link_invitation", *CONFLICT],
        e422=["invalid_uzi_number"]),
    ("get", "/v1/practices/{ura}/link-requests"): op(
        "Holders' open requests to link their card",
        "For the practice's managers, who approve (POST /v1/cards/{card_id}/links) or "
        "decline (DELETE /v1/cards/{card_id}/link-requests/{ura}).", "anyone",
        e403=MANAGER),
    ("get", "/v1/practices/{ura}/expiring"): op(
        "Cards linked to the practice that end soon",
        "Those that end within `within_days` (default 90), soonest first.", "anyone",
        e403=MANAGER, e422=["invalid_field"]),
    ("post", "/v1/practices/{ura}/mandates"): op(
        "Give a mandaat (R9)",
        "A care provider (UZI card type Z) of the practice mandates an employee by UZI "
        "number; the mandate holds on any card that person holds.", "person", body=True,
        e403=["not_care_provider", "ura_mismatch"],
        e409=["self_mandate", "practice_not_registered", "mandate_too_long",
              "uzi_pass_expired", *CONFLICT],
        e422=["invalid_uzi_number", "invalid_timestamp", "naive_datetime", "invalid_field",
              "date_out_of_range"]),
    ("post", "/v1/cards"): op(
        "Start creating one's own card (R3)",
        "An employee logged in with their own valid UZI-medewerkerspas op naam (type N) "
        "starts personalising a blank card shipped to their practice. The answer holds "
        "the job and its token for the reader agent.", "person", body=True,
        e403=["uzi_pass_not_named_employee", "uzi_pass_required"],
        e404=["card_not_found"],
        e409=["card_not_blank", "card_in_personalisation", "blank_card_not_for_practice",
              "manager_cannot_hold_card", "practice_not_registered", "uzi_pass_expired",
              "uzi_pass_revoked", *CONFLICT],
        e422=["invalid_card_serial", "invalid_field"]),
    ("get", "/v1/cards/{card_id}"): op(
        "One card and its status now",
        "For its holder, managers of practices it is linked to, and auditors.",
        "anyone", e403=["not_holder_or_manager"], e404=["card_not_found"]),
    ("post", "/v1/cards/{card_id}/suspension"): op(
        "Suspend a card (R13)",
        "By its holder or a manager of a linked practice: reversible; its certificates go "
        "on hold in the CRL.", "person", body=True, e403=["not_holder_or_manager"],
        e404=["card_not_found"],
        e409=[*CARD_STATE, "card_suspended", *CONFLICT], e422=["invalid_reason"]),
    ("delete", "/v1/cards/{card_id}/suspension"): op(
        "Lift a suspension (R13)", "By a manager of a practice the card is linked to.",
        "person", e403=MANAGER, e404=["card_not_found"],
        e409=[*CARD_STATE, "card_not_suspended", *CONFLICT]),
    ("post", "/v1/cards/{card_id}/revocation"): op(
        "Revoke a card (R6)",
        "By its holder or a manager of a linked practice; final. An employee who leaves is "
        "unlinked, not revoked.", "person", body=True, e403=["not_holder_or_manager"],
        e404=["card_not_found"], e409=[*CARD_STATE, *CONFLICT],
        e422=["invalid_revocation_reason", "reserved_revocation_reason",
              "employment_ended_is_unlink", "invalid_field"]),
    ("post", "/v1/cards/{card_id}/links"): op(
        "Approve a link request, or accept an invitation (R7)",
        "The second half of a link's consent: a manager of the practice approves the "
        "holder's request, or the holder accepts the practice's invitation. Without the "
        "first half: `link_consent_required`; a manager alone never links someone else's "
        "card.", "person", body=True, e403=MANAGER, e404=["card_not_found",
                                                          "practice_not_found"],
        e409=[*CARD_STATE, "already_linked", "link_consent_required", *CONFLICT],
        e422=["invalid_ura", "invalid_field"]),
    ("post", "/v1/cards/{card_id}/link-requests"): op(
        "Ask to link one's card to a practice (R7)",
        "By the holder; a manager of that practice approves or declines. When the practice "
        "had invited the holder, the card is linked at once (`status: linked`).",
        "person", body=True, e403=["not_holder"], e404=["card_not_found"],
        e409=[*CARD_STATE, "already_linked", "link_already_requested",
              "practice_not_registered", *CONFLICT],
        e422=["invalid_ura", "invalid_field"]),
    ("delete", "/v1/cards/{card_id}/link-requests/{ura}"): op(
        "Withdraw or decline a link request",
        "The holder withdraws it, or a manager of the practice declines it.", "person",
        e403=MANAGER, e404=["card_not_found", "practice_not_found"],
        e409=["no_link_request", *CONFLICT], e422=["invalid_ura"]),
    ("delete", "/v1/cards/{card_id}/links/{ura}"): op(
        "Unlink a card from a practice (R7)",
        "By the holder or a manager of that practice, when the employee leaves: the card "
        "stays valid elsewhere.", "person", e403=MANAGER,
        e404=["card_not_found", "practice_not_found"],
        e409=[*CARD_STATE, "not_linked", *CONFLICT], e422=["invalid_ura"]),
    ("post", "/v1/cards/{card_id}/guest-uses"): op(
        "Grant gastgebruik (R8)",
        "A manager of the host practice lets the card be used there for whole days.",
        "person", body=True, e403=MANAGER, e404=["card_not_found", "practice_not_found"],
        e409=[*CARD_STATE, "guest_use_overlaps", "guest_use_beyond_card_expiry",
              "period_in_past", *CONFLICT],
        e422=["invalid_period", "date_out_of_range", "invalid_field"]),
    ("get", "/v1/cards/{card_id}/guest-uses"): op(
        "A card's gastgebruik", "Current and past, for those who may see the card.",
        "anyone", e403=["not_holder_or_manager"], e404=["card_not_found"]),
    ("delete", "/v1/cards/{card_id}/guest-uses/{guest_use_id}"): op(
        "End gastgebruik early", "By a manager of the host practice.", "person",
        e403=MANAGER, e404=["card_not_found", "guest_use_not_found"],
        e409=[*CARD_STATE, "guest_use_ended", *CONFLICT]),
    ("get", "/v1/cards/{card_id}/mandates"): op(
        "The mandates that hold for a card's holder", "Effective now.", "anyone",
        e403=["not_holder_or_manager"], e404=["card_not_found"]),
    ("get", "/v1/cards/{card_id}/history"): op(
        "A card's history and its state at a moment",
        "Replayed from the event store, not read from the views; `at` defaults to now.",
        "anyone", e403=["not_holder_or_manager"], e404=["card_not_found", "not_found"],
        e409=["before_first_event"], e422=["invalid_timestamp", "naive_datetime"]),
    ("delete", "/v1/mandates/{mandate_id}"): op(
        "Revoke a mandaat", "By the care provider who gave it or an administrator.",
        "person", e403=["not_grantor"], e404=["mandate_not_found", "practice_not_found"],
        e409=["mandate_not_effective", *CONFLICT], e422=["invalid_reason"]),
    ("get", "/v1/me"): op(
        "Who is calling",
        "A person: their identity, roles, cards and the practices that invited them to "
        "link a card; a service: its role.", "anyone"),
    ("post", "/v1/orders/{order_id}/shipment"): op(
        "Record an order's shipment",
        "The fulfilment service names the serials of the blank cards it sent (`card_serials`), "
        "or per card the serial and the chip's own identity from the supplier's card list "
        "(`cards`), for factory-fresh PIV cards; they become the practice's blank cards, "
        "and the practice's invoice is issued.",
        "service", body=True, e404=["order_not_found"],
        e409=["order_shipped", "order_cancelled", "shipment_quantity_mismatch",
              "card_serial_already_shipped", "chip_already_shipped", *CONFLICT],
        e422=["invalid_card_serial", "invalid_chip_id", "invalid_key_algorithm",
              "invalid_field"]),
    ("get", "/v1/invoices"): op(
        "Invoices of a month",
        "For billing (all practices, or `ura`) and for a practice's managers (theirs).",
        "anyone", e403=MANAGER, e422=["invalid_field", "invalid_ura"]),
    ("get", "/v1/events"): op(
        "The event log, for auditors",
        "Every event in the order it was stored, from position `after`.", "service",
        e422=["invalid_field"]),
    ("get", "/v1/crl"): op(
        "The card CA's CRL",
        "DER; revoked cards, and suspended ones on hold. Public.", "public",
        e503=["crl_unavailable"]),
    ("get", "/v1/ca-certificate"): op(
        "The card CA's certificate",
        "DER; the caIssuers address in every card certificate's AIA. Public.", "public",
        e503=["ca_certificate_unavailable"]),
    ("post", "/ocsp"): op(
        "OCSP: a card certificate's status now (RFC 6960)",
        "The body is a DER OCSPRequest (`application/ocsp-request`); the answer is good, "
        "revoked (with time and reason; certificateHold for a suspended card) or unknown, "
        "signed by the card CA's delegated responder, the nonce echoed. Public; a request "
        "it cannot read gets malformedRequest, another CA's certificate unauthorized.",
        "public", e503=["ocsp_unavailable"]),
    ("get", "/ocsp/{encoded}"): op(
        "OCSP by GET (RFC 6960 A.1)",
        "The same, with the URL-encoded base64 of the DER request after the path.",
        "public", e503=["ocsp_unavailable"]),
    ("get", "/metrics"): op(
        "Prometheus metrics", "For the operators' scraper (service token, role operator).",
        "service"),
    ("get", "/healthz"): op(
        "Is the server up", "The store's and the views' positions; equal when the views hold all.",
        "public"),
    ("get", "/v1/personalisation-jobs/{job_id}"): op(
        "A personalisation job, for the reader agent",
        "While it runs: the card's serial and its per-card management keys.", "job",
        e404=["job_not_found"], e503=["card_ca_unavailable"]),
    ("post", "/v1/personalisation-jobs/{job_id}/public-keys"): op(
        "The card's public keys in, its certificates out",
        "Once per job: the card CA signs the two certificates, valid exactly as long as "
        "the card will be (R4).", "job", body=True, e404=["job_not_found", "card_not_found"],
        e409=["stale_personalisation_job", "certificates_already_issued",
              "card_not_personalising", *CONFLICT],
        e422=["invalid_public_key", "invalid_field"], e503=["card_ca_unavailable"]),
    ("post", "/v1/pairings"): op(
        "The workstation helper takes a card creation or a PIN unblock with its pairing "
        "code",
        "The portal shows the holder a pairing code for the card creation (or PIN unblock) "
        "they started; they type it into the workstation helper, which exchanges it here, "
        "once, for the job and its token (Card.JobClaimed, or Card.PinServiceClaimed with "
        "`kind` pin_unblock). The code is the only credential: it is valid for 15 "
        "minutes, while the job has no certificates and no helper took it.",
        "public", body=True, e404=["pairing_code_unknown", "card_not_found"],
        e409=["job_already_claimed", "pairing_expired", "card_not_personalising",
              "stale_personalisation_job", "pin_service_not_open", *CARD_STATE,
              *CONFLICT],
        e422=["invalid_pairing_code", "invalid_workstation", "invalid_field"]),
    ("post", "/v1/cards/{card_id}/renewal"): op(
        "Renew a card with the card itself (R14)",
        "By its holder, logged in with this very card, from `renewal_opens_on` (90 days "
        "before its end): the successor on a blank card of the practice (`mode` new_card), "
        "answered like POST /v1/cards; the old card is superseded when the new one is "
        "activated. At most ZORGID_MAX_CARD_RENEWALS renewals in a row since a UZI pass.",
        "person", body=True, e403=["card_login_required", "not_holder"],
        e404=["card_not_found", "practice_not_found"],
        e409=[*CARD_STATE, "card_suspended", "renewal_window_not_open",
              "fresh_identity_required", "card_not_blank", "card_in_personalisation",
              "blank_card_not_for_practice", *CONFLICT],
        e422=["invalid_card_serial", "invalid_field"]),
    ("put", "/v1/me/email"): op(
        "Leave an e-mail address for reminders (R17)",
        "Anyone logged in as a person: 90, 30 and 7 days before a card of yours ends (or, "
        "as a manager, a card linked to your practice), one e-mail each. Personal data: "
        "encrypted at rest, not published to Kafka without --personal-data.", "person",
        body=True, e409=CONFLICT, e422=["invalid_email", "invalid_field"]),
    ("delete", "/v1/me/email"): op(
        "Remove your e-mail address", "No more reminders by e-mail.", "person",
        e404=["no_email_address"], e409=CONFLICT),
    ("post", "/v1/cards/{card_id}/pin-services"): op(
        "Unblock the PIN at a workstation (R16)",
        "The holder, logged in (with a UZI pass, since a card with a blocked PIN cannot log "
        "in), asks to unblock the card's PIN with its PUK: the answer is a pairing code for "
        "the workstation helper, valid for 15 minutes. A newer request replaces an older "
        "one. A PIN change needs nothing here: the helper and the card do it alone.",
        "person", e403=["not_holder"], e404=["card_not_found"],
        e409=[*CARD_STATE, *CONFLICT]),
    ("post", "/v1/pin-services/{service_id}/result"): op(
        "The workstation helper's outcome of a PIN unblock (R16)",
        "`unblocked` records Card.PinUnblocked (no PIN or PUK, only that it happened); "
        "`puk_blocked` revokes the card with reason puk_blocked, so its holder may make a "
        "new one. With the token POST /v1/pairings gave for the service.", "job", body=True,
        e404=["pin_service_not_found", "card_not_found"],
        e409=["pin_service_not_open", "pin_service_not_claimed", *CARD_STATE, *CONFLICT],
        e422=["invalid_field"]),
    ("post", "/v1/card-checks"): op(
        "Which card this is, and how it stands",
        "The workstation helper's \"check my card\": from the card's authentication "
        "certificate (public, as on the card), its card, holder, status and days until it "
        "ends. Only a certificate our card CA recorded, byte for byte, is answered. Public.",
        "public", body=True, e404=["card_certificate_unknown", "card_not_found"],
        e422=["malformed_certificate", "invalid_field"]),
    ("post", "/v1/personalisation-jobs/{job_id}/result"): op(
        "The reader agent's outcome",
        "`activated` is the commit point (R5); `failed` records the step, and the blank "
        "card can be tried again.", "job", body=True, e404=["job_not_found"],
        e409=["stale_personalisation_job", "certificates_not_issued",
              "card_not_personalising", "manager_cannot_hold_card", *CONFLICT],
        e422=["invalid_field"]),
}


def errors_of(method: str, path: str) -> dict[int, list[str]]:
    """Every code an operation can answer with, per status."""
    operation = OPERATIONS[(method, path)]
    found: dict[int, list[str]] = {}
    parts = [CALLERS[operation.caller][1], operation.errors, BODY if operation.body else {},
             {404: [HTTP_ERRORS[404][0]]}]  # any path can be mistyped
    for part in parts:
        for status, codes in part.items():
            found.setdefault(status, [])
            found[status] += [c for c in codes if c not in found[status]]
    return found


def document(api: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        schema = get_openapi(title=api.title, version=api.version,
                             description=api.description, routes=api.routes)
        schema.setdefault("components", {})["securitySchemes"] = SCHEMES
        for path, operations in schema["paths"].items():
            for method, entry in operations.items():
                documented = OPERATIONS.get((method, path))
                if documented is None:
                    continue
                entry["summary"] = documented.summary
                entry["description"] = documented.description
                entry["security"] = CALLERS[documented.caller][0]
                codes = errors_of(method, path)
                entry["x-error-codes"] = codes
                responses = entry.setdefault("responses", {})
                for status, listed in sorted(codes.items()):
                    response = responses.get(str(status))
                    if response is None:
                        response = responses[str(status)] = {
                            "description": "Refused", "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
                    text = ", ".join(f"`{c}`" for c in listed)
                    response["description"] = (f"{response['description'].rstrip('.')}. "
                                               f"Codes: {text}")
                for parameter in entry.get("parameters", []):
                    if parameter["name"].lower() == "idempotency-key":
                        parameter["required"] = True
        api.openapi_schema = schema
        return schema

    return openapi
