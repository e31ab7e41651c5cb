"""Free text that people type (names, reasons): whitespace made single, length bounded,
and refused when it holds what no stored fact may hold (a lone UTF-16 surrogate, which
cannot be encoded as UTF-8, or control characters)."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidValue

_FORBIDDEN_CATEGORIES = frozenset({"Cs", "Cc"})  # surrogates, control characters


def plain_text(value: object, what: str, limit: int = 200, *, required: bool = True,
               truncate: bool = False) -> str:
    """`value` as one line of at most `limit` characters; ``invalid_<what>`` otherwise."""
    text = " ".join(str(value).split())
    if any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in text):
        raise InvalidValue(f"invalid_{what}", f"the {what.replace('_', ' ')} holds characters "
                           "that are not text; type it again")
    if truncate:
        text = text[:limit]
    if (required and not text) or len(text) > limit:
        raise InvalidValue(f"invalid_{what}", f"the {what.replace('_', ' ')} must be 1 to "
                           f"{limit} characters")
    return text
