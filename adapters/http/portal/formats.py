"""Money, dates and times as people in the Netherlands read them (CLDR, through Babel):
`€ 280,66`, `1 december 2029` or `01-12-2029`, times in Europe/Amsterdam. Storage and
the API stay in integer cents and UTC; only the pages say it this way."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates, numbers

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def _moment(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _day(value: str | date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).date()
    if isinstance(value, date):
        return value
    if len(value) > 10:  # a moment: the day it is in the Netherlands
        return _moment(value).astimezone(AMSTERDAM).date()
    return date.fromisoformat(value)


class Formats:
    """The formatting functions a page's template gets, in the page's language."""

    def __init__(self, lang: str) -> None:
        self.locale = LOCALES.get(lang, "nl_NL")

    def money(self, cents: int | None) -> str:
        if cents is None:
            return ""
        return numbers.format_currency(Decimal(cents) / 100, "EUR", locale=self.locale)

    def day(self, value: Any) -> str:
        """A date in a table: 01-12-2029 (01/12/2029 in English)."""
        if not value:
            return ""
        pattern = "dd-MM-yyyy" if self.locale == "nl_NL" else "dd/MM/yyyy"
        return dates.format_date(_day(value), pattern, locale=self.locale)

    def long_day(self, value: Any) -> str:
        """A date in a sentence: 1 december 2029."""
        return dates.format_date(_day(value), "long", locale=self.locale) if value else ""

    def moment(self, value: Any) -> str:
        """A moment, in Dutch time: 1 december 2029 14:05."""
        if not value:
            return ""
        return dates.format_datetime(_moment(value), "d MMMM yyyy HH:mm", tzinfo=AMSTERDAM,
                                     locale=self.locale)

    def month(self, value: date) -> str:
        """A month as a chart label: dec 2026."""
        return dates.format_date(value, "LLL yyyy", locale=self.locale).replace(".", "")

    def context(self) -> dict[str, Any]:
        return {"money": self.money, "day": self.day, "long_day": self.long_day,
                "moment": self.moment, "month": self.month}
