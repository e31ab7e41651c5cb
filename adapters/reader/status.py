"""Status words (ISO 7816-4 section 5.6; NIST SP 800-73-4 part 2) and the one place
where a status word becomes an exception."""

from __future__ import annotations

from enum import IntEnum


class SW(IntEnum):
    SUCCESS = 0x9000
    BYTES_REMAINING = 0x6100  # 61xx: xx more bytes for GET RESPONSE (00: 256 or more)
    VERIFY_FAILED = 0x63C0  # 63Cx: x tries left
    MEMORY_FAILURE = 0x6581
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    CONDITIONS_NOT_SATISFIED = 0x6985
    INCORRECT_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    NOT_ENOUGH_MEMORY = 0x6A84
    INCORRECT_P1P2 = 0x6A86
    REFERENCE_NOT_FOUND = 0x6A88
    WRONG_LE = 0x6C00  # 6Cxx: repeat with Le = xx
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    UNKNOWN = 0x6F00


class CardError(Exception):
    """The card refused a command. `sw` is its status word."""

    def __init__(self, sw: int, message: str) -> None:
        super().__init__(f"{message} (status {sw:04X})")
        self.sw = sw


class WrongPin(CardError):
    def __init__(self, sw: int, tries_left: int) -> None:
        super().__init__(sw, f"wrong PIN or PUK; {tries_left} tries left")
        self.tries_left = tries_left


class Blocked(CardError):
    pass


class NotFound(CardError):
    pass


class SecurityNotSatisfied(CardError):
    pass


class NotSupported(CardError):
    pass


class InvalidData(CardError):
    pass


_MESSAGES: dict[int, tuple[type[CardError], str]] = {
    SW.AUTH_METHOD_BLOCKED: (Blocked, "blocked: too many wrong tries"),
    SW.SECURITY_STATUS_NOT_SATISFIED: (SecurityNotSatisfied,
                                       "not allowed yet: PIN or management key needed"),
    SW.CONDITIONS_NOT_SATISFIED: (SecurityNotSatisfied, "conditions of use not satisfied"),
    SW.FILE_NOT_FOUND: (NotFound, "no such object or application on the card"),
    SW.REFERENCE_NOT_FOUND: (NotFound, "no such key or reference on the card"),
    SW.FUNCTION_NOT_SUPPORTED: (NotSupported, "the card does not support this"),
    SW.INS_NOT_SUPPORTED: (NotSupported, "the card does not know this instruction"),
    SW.CLA_NOT_SUPPORTED: (NotSupported, "the card does not accept this class byte"),
    SW.INCORRECT_DATA: (InvalidData, "the card rejected the data"),
    SW.INCORRECT_P1P2: (InvalidData, "the card rejected the parameters"),
    SW.WRONG_LENGTH: (InvalidData, "the card rejected the length"),
    SW.NOT_ENOUGH_MEMORY: (CardError, "the card is out of memory"),
    SW.MEMORY_FAILURE: (CardError, "the card's memory failed"),
}


def check(sw: int) -> None:
    """Raise the typed error for a status word other than success."""
    if sw == SW.SUCCESS:
        return
    if sw & 0xFFF0 == SW.VERIFY_FAILED:
        raise WrongPin(sw, sw & 0x0F)
    kind, message = _MESSAGES.get(sw, (CardError, "the card answered with an error"))
    raise kind(sw, message)
