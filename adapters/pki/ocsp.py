"""The card CA's OCSP responder (RFC 6960): a certificate's status as of the request,
signed by a delegated responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck)
that the card CA issues for a key of its own kind that lives only as long as this
process: in memory beside a PEM key, in the token beside an HSM key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from adapters.pki.ca import CardCA

RESPONDER_LIFETIME = dt.timedelta(days=7)
NEXT_UPDATE = dt.timedelta(hours=1)  # an answer holds this long at most; a change shows next


@dataclass(frozen=True)
class Status:
    """What the card CA knows of one certificate serial."""

    state: str  # good, revoked, on_hold, unknown
    since: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None


Lookup = Callable[[int], Status]


class OcspResponder:
    def __init__(self, authority: CardCA, now: dt.datetime) -> None:
        self.authority = authority
        self._key = authority.signer.responder_key()
        self.certificate = authority.sign(
            x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zorgid-cards"),
                x509.NameAttribute(NameOID.COMMON_NAME, "ZORG-ID Card CA OCSP responder")]))
            .issuer_name(authority.certificate.subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(min(now + RESPONDER_LIFETIME,
                                 authority.certificate.not_valid_after_utc))
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]),
                           critical=True)
            .add_extension(x509.OCSPNoCheck(), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.certificate.public_key()), critical=False))  # type: ignore[arg-type]

    def _ours(self, request: ocsp.OCSPRequest) -> bool:
        """Whether the request names our card CA as the issuer (its name and key hashes)."""
        algorithm = request.hash_algorithm
        name = hashes.Hash(algorithm)
        name.update(self.authority.certificate.subject.public_bytes())
        key = hashes.Hash(algorithm)
        key.update(_key_bits(self.authority.certificate))
        return bool(request.issuer_name_hash == name.finalize()
                    and request.issuer_key_hash == key.finalize())

    def answer(self, der: bytes, lookup: Lookup, now: dt.datetime) -> bytes:
        """The DER OCSP response to a DER request: malformedRequest for one we cannot
        read, unauthorized for another CA's certificate, else good, revoked (certificate
        hold for a suspended card) or unknown."""
        try:
            request = ocsp.load_der_ocsp_request(der)
            request.serial_number  # noqa: B018  (parsing is lazy: touch it here)
        except (ValueError, TypeError):
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if not self._ours(request):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        status = lookup(request.serial_number)
        moment = now.replace(microsecond=0)
        if status.state == "good":
            cert_status, since, reason = ocsp.OCSPCertStatus.GOOD, None, None
        elif status.state in ("revoked", "on_hold"):
            cert_status, since = ocsp.OCSPCertStatus.REVOKED, status.since or moment
            reason = x509.ReasonFlags.certificate_hold if status.state == "on_hold" \
                else status.reason or x509.ReasonFlags.unspecified
        else:
            cert_status, since, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number, algorithm=request.hash_algorithm,
            cert_status=cert_status, this_update=moment, next_update=moment + NEXT_UPDATE,
            revocation_time=since, revocation_reason=reason,
        )
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        # the responder and the card CA above it: the chain up to the root
        return ocsp_der(self._key.sign_ocsp_response(
            builder, self.certificate, [self.certificate, self.authority.certificate]))


def _key_bits(certificate: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's contents (what the key hash is taken over)."""
    public = certificate.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return public.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint)
    return public.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.PKCS1)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp_der(ocsp.OCSPResponseBuilder.build_unsuccessful(status))


def ocsp_der(response: ocsp.OCSPResponse) -> bytes:
    return response.public_bytes(serialization.Encoding.DER)
