"""Identity value objects: who a person or practice is in the UZI register.

The string types are `str` subclasses that validate on construction, so they
travel through JSON and the event store unchanged. What the numbers are: the
glossary in docs/architecture.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from domain.errors import InvalidValue, RuleViolation


class _CheckedStr(str):
    pattern: ClassVar[re.Pattern[str]]
    code: ClassVar[str]
    what: ClassVar[str]

    def __new__(cls, value: object) -> _CheckedStr:
        text = cls.normalise(str(value).strip()) if isinstance(value, str | int) else None
        if text is None or not cls.pattern.fullmatch(text):
            raise InvalidValue(cls.code, f"{value!r} is not a valid {cls.what}")
        return super().__new__(cls, text)

    @staticmethod
    def normalise(text: str) -> str:
        return text


class UziNumber(_CheckedStr):
    """A person's lifelong number in the UZI register: 9 digits."""

    pattern = re.compile(r"[0-9]{9}")
    code = "invalid_uzi_number"
    what = "UZI number (9 digits)"


class Ura(_CheckedStr):
    """UZI-register abonneenummer of a practice: 8 digits."""

    pattern = re.compile(r"[0-9]{8}")
    code = "invalid_ura"
    what = "URA (8 digits)"


class RoleCode(_CheckedStr):
    """Role in the UZI register: profession.specialism, `NN.NNN` (00.000 on N, M, S cards)."""

    pattern = re.compile(r"[0-9]{2}\.[0-9]{3}")
    code = "invalid_role_code"
    what = "role code (NN.NNN, for example 01.015)"


class Agb(_CheckedStr):
    """Vektis AGB code of a care provider: 8 digits, 00000000 when none."""

    pattern = re.compile(r"[0-9]{8}")
    code = "invalid_agb"
    what = "AGB code (8 digits)"


class CardSerial(_CheckedStr):
    """Serial number of a blank ZORG-ID card, as printed on it and read from the chip."""

    pattern = re.compile(r"[A-Z0-9][A-Z0-9-]{5,31}")
    code = "invalid_card_serial"
    what = "card serial (6 to 32 letters, digits or dashes)"

    @staticmethod
    def normalise(text: str) -> str:
        return text.upper()  # zid000000001 is the card printed ZID000000001


E = TypeVar("E", bound=StrEnum)


def parse_choice(choices: type[E], value: object, code: str, what: str) -> E:
    """One of a closed set of words (case and surrounding space ignored), or a clear refusal."""
    try:
        return choices(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(c.value for c in choices)
        raise InvalidValue(code, f"{value!r} is not {what} ({allowed})") from None


class CardType(StrEnum):
    """UZI card types (CPS section 7.1)."""

    CARE_PROVIDER = "Z"  # zorgverlenerpas
    NAMED_EMPLOYEE = "N"  # medewerkerpas op naam
    UNNAMED_EMPLOYEE = "M"  # medewerkerpas niet op naam
    SERVER = "S"  # servercertificaat

    @classmethod
    def parse(cls, value: object) -> CardType:
        if isinstance(value, str) and value.strip().upper() in {c.value for c in cls}:
            return cls(value.strip().upper())
        raise InvalidValue("invalid_card_type", f"{value!r} is not a card type (Z, N, M or S)")


NO_ROLE = RoleCode("00.000")
NO_AGB = Agb("00000000")


@dataclass(frozen=True)
class UziPass:
    """The identity on a UZI pass certificate a person logged in with.

    The PKI adapter builds it from a validated certificate; the domain only
    trusts what it says and checks it is usable at the moment of the command.
    """

    uzi_number: UziNumber
    card_type: CardType
    ura: Ura
    role: RoleCode
    given_name: str
    surname: str
    not_before: datetime
    not_after: datetime
    agb: Agb = NO_AGB
    revoked: bool = False
    certificate_serial: str = ""
    # the certificate is one of our ZORG-ID cards, not a UZI pass: it carries the same
    # identity, but a card is created only with the UZI pass itself (R3)
    zorgid_card: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "uzi_number", UziNumber(self.uzi_number))
        object.__setattr__(self, "card_type", CardType.parse(self.card_type))
        object.__setattr__(self, "ura", Ura(self.ura))
        object.__setattr__(self, "role", RoleCode(self.role))
        object.__setattr__(self, "agb", Agb(self.agb))
        if not self.given_name.strip() and not self.surname.strip():
            raise InvalidValue("invalid_name", "a UZI pass carries the holder's name")
        if self.not_before.tzinfo is None or self.not_after.tzinfo is None:
            raise InvalidValue("naive_datetime", "UZI pass validity must be timezone-aware")

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()

    def check_usable(self, now: datetime) -> None:
        """The pass must be within its validity and not revoked at `now`."""
        if self.revoked:
            raise RuleViolation("uzi_pass_revoked", "this UZI pass has been revoked")
        if now < self.not_before:
            raise RuleViolation("uzi_pass_not_yet_valid", "this UZI pass is not yet valid")
        if now >= self.not_after:
            raise RuleViolation(
                "uzi_pass_expired",
                f"this UZI pass expired on {self.not_after.date().isoformat()}",
            )

    def actor(self) -> Actor:
        return Actor.person(self.uzi_number, self.name, self.role, self.card_type, self.ura)


@dataclass(frozen=True)
class Actor:
    """Who did it: a person (from their credential) or a named system job.

    Recorded in every event as a plain dict (`to_dict`)."""

    kind: str  # "person" or "system"
    name: str
    uzi_number: str | None = None
    role: str | None = None
    card_type: str | None = None
    ura: str | None = None

    @classmethod
    def person(
        cls, uzi_number: str, name: str, role: str, card_type: str, ura: str
    ) -> Actor:
        return cls(
            kind="person",
            name=name,
            uzi_number=UziNumber(uzi_number),
            role=RoleCode(role),
            card_type=CardType.parse(card_type).value,
            ura=Ura(ura),
        )

    @classmethod
    def system(cls, job: str) -> Actor:
        if not re.fullmatch(r"[a-z][a-z0-9-]{1,40}", job):
            raise InvalidValue("invalid_system_actor", f"{job!r} is not a system job name")
        return cls(kind="system", name=job)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "system":
            return {"kind": "system", "name": self.name}
        return {
            "kind": "person",
            "uzi_number": str(self.uzi_number),
            "name": self.name,
            "role": str(self.role),
            "card_type": self.card_type,
            "ura": str(self.ura),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        return cls(**data)


@dataclass(frozen=True)
class CardHolder:
    """The person a ZORG-ID card is made for, from the UZI pass they created it with.

    The one shape of the holder from the `Card.CreationStarted` event to the card's
    certificates (which carry it as card type N, section 3 of docs/architecture.md)."""

    uzi_number: str
    given_name: str
    surname: str
    ura: str
    role: str
    agb: str

    @classmethod
    def of_pass(cls, uzi_pass: UziPass) -> CardHolder:
        return cls(str(uzi_pass.uzi_number), uzi_pass.given_name, uzi_pass.surname,
                   str(uzi_pass.ura), str(uzi_pass.role), str(uzi_pass.agb))

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()

    def to_event(self) -> dict[str, str]:
        """As `Card.CreationStarted` records it (its seven keys, `name` included)."""
        return {"uzi_number": self.uzi_number, "name": self.name,
                "given_name": self.given_name, "surname": self.surname, "ura": self.ura,
                "role": self.role, "agb": self.agb}

    @classmethod
    def from_event(cls, holder: dict[str, str]) -> CardHolder:
        return cls(holder["uzi_number"], holder["given_name"], holder["surname"],
                   holder["ura"], holder["role"], holder["agb"])


def email_address(value: object) -> str:
    """An e-mail address as people type it, normalised (domain in lower case); checked for
    its form only, not by asking the DNS (``invalid_email``)."""
    from email_validator import EmailNotValidError, validate_email

    text = str(value).strip()
    if len(text) > 254:
        raise InvalidValue("invalid_email", "an e-mail address has at most 254 characters")
    try:
        return str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise InvalidValue("invalid_email", "this is not an e-mail address (as "
                           "naam@praktijk.nl)") from None
