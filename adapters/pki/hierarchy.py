"""A PKI in the shape of the UZI TEST hierarchy (root > level-2 persons CA >
issuing CAs per card type, Z and N), made with
`cryptography`, for tests and demos:

    TEST Zorg CSP Root CA G3
      > TEST Zorg CSP Level 2 Persoon CA G3
          > TEST UZI-register Zorgverlener CA G3          (Z passes)
          > TEST UZI-register Medewerker op naam CA G3    (N passes)

CA OIDs: the Z one is the TEST OID of the example in the CPS; the N one is ours,
for this test hierarchy only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.pki.certificates import Holder, ca_certificate, ca_subject, person_certificate_builder
from domain.clock import add_years

TEST_CA_OIDS = {"Z": "2.16.528.1.1007.99.217", "N": "2.16.528.1.1007.99.218"}
AUTHENTICATION_POLICY = "2.16.528.1.1003.1.2.5.1"
ORGANISATION = "CIBG (TEST)"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


@dataclass
class Issued:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: list[x509.Certificate]  # the intermediates, leaf's issuer first


class UziTestHierarchy:
    def __init__(self, start: dt.datetime | None = None, years: int = 20) -> None:
        self.start = start or dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        end = add_years(self.start, years)
        self.root_key = _key()
        root_name = ca_subject("TEST Zorg CSP Root CA G3", ORGANISATION)
        self.root = ca_certificate(root_name, self.root_key.public_key(), root_name,
                                   self.root_key, self.start, end, None)
        self.level2_key = _key()
        self.level2 = ca_certificate(ca_subject("TEST Zorg CSP Level 2 Persoon CA G3",
                                                ORGANISATION), self.level2_key.public_key(),
                                     self.root.subject, self.root_key, self.start, end, 1)
        self.issuers: dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]] = {}
        for card_type, name in (("Z", "TEST UZI-register Zorgverlener CA G3"),
                                ("N", "TEST UZI-register Medewerker op naam CA G3")):
            key = _key()
            self.issuers[card_type] = (
                ca_certificate(ca_subject(name, ORGANISATION), key.public_key(),
                               self.level2.subject, self.level2_key, self.start, end, 0), key)
        self.revoked: dict[str, list[tuple[int, dt.datetime]]] = {"Z": [], "N": []}

    def issue_pass(self, holder: Holder, not_before: dt.datetime,
                   not_after: dt.datetime) -> Issued:
        """An authentication certificate of a UZI pass (the one used to log in)."""
        issuer, issuer_key = self.issuers[holder.card_type]
        key = _key()
        certificate = person_certificate_builder(
            holder, key.public_key(), issuer, issuer_key.public_key(),
            TEST_CA_OIDS[holder.card_type], "authentication", AUTHENTICATION_POLICY,
            not_before, not_after).sign(issuer_key, hashes.SHA256())
        return Issued(certificate, key, [issuer, self.level2])

    def revoke(self, issued: Issued, at: dt.datetime) -> None:
        card_type = next(t for t, (c, _) in self.issuers.items()
                         if c.subject == issued.certificate.issuer)
        self.revoked[card_type].append((issued.certificate.serial_number, at))

    def crls(self, now: dt.datetime) -> list[x509.CertificateRevocationList]:
        lists = []
        for card_type, (issuer, key) in self.issuers.items():
            builder = x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)\
                .last_update(now).next_update(now + dt.timedelta(days=1))
            for serial, at in self.revoked[card_type]:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder().serial_number(serial)
                    .revocation_date(at).build())
            lists.append(builder.sign(key, hashes.SHA256()))
        return lists

    @property
    def intermediates(self) -> list[x509.Certificate]:
        return [self.level2, *(c for c, _ in self.issuers.values())]
