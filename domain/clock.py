"""Time, from an injectable clock (R11). Always timezone-aware UTC."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from domain.errors import InvalidValue


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests, the demo and replays."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = require_utc(moment)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock does not run backwards")
        self._now += delta
        return self._now


def require_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("naive_datetime", f"{moment.isoformat()} has no time zone; use UTC")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-02:00 lies past datetime.max in UTC
        raise _out_of_range(moment.date()) from None


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 with offset (or Z). Naive input is refused rather than guessed."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            "invalid_timestamp",
            f"{text!r} is not an ISO 8601 timestamp such as 2026-11-28T13:00:00Z",
        ) from None
    if moment.tzinfo is None:
        example = moment.isoformat(timespec="seconds")
        raise InvalidValue("naive_datetime", f"{text.strip()!r} has no time zone: add Z for "
                           f"UTC or an offset, e.g. {example}Z or {example}+01:00")
    return require_utc(moment)


def add_years(moment: datetime, years: int) -> datetime:
    """Same wall-clock moment `years` calendar years later; 29 February becomes
    28 February in a common year (R4)."""
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])
    return moment.replace(year=year, day=day)


def add_years_to_date(day: date, years: int) -> date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def utc_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The first moment after `day` (exclusive end), in UTC."""
    try:
        return utc_day_start(day) + timedelta(days=1)
    except OverflowError:  # 9999-12-31 has no day after it
        raise _out_of_range(day) from None


def _out_of_range(day: date) -> InvalidValue:
    return InvalidValue("date_out_of_range", f"{day.isoformat()} is too far in the future; "
                        "give a date within the card's three years")
