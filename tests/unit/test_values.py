"""Value objects, clock and money: malformed values are refused with a clear code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clock import ManualClock, add_years, add_years_to_date, parse_timestamp
from domain.errors import InvalidValue, RuleViolation
from domain.identity import Actor, Agb, CardSerial, CardType, RoleCode, Ura, UziNumber
from domain.order import Pricing, vat_cents
from tests.support import ASSISTANT_A, T0, uzi_pass


class TestIdentityValues:
    @given(st.from_regex(r"[0-9]{9}", fullmatch=True))
    def test_any_nine_digits_is_a_uzi_number(self, text):
        assert UziNumber(text) == text

    @given(st.text().filter(lambda t: not (len(t.strip()) == 9 and t.strip().isascii()
                                           and t.strip().isdigit())))
    def test_anything_else_is_refused(self, text):
        with pytest.raises(InvalidValue) as caught:
            UziNumber(text)
        assert caught.value.code == "invalid_uzi_number"

    @pytest.mark.parametrize(("cls", "good", "bad", "code"), [
        (Ura, "90000382", "9000038", "invalid_ura"),
        (RoleCode, "01.015", "01015", "invalid_role_code"),
        (Agb, "00000000", "ABC", "invalid_agb"),
        (CardSerial, "ZID000000001", "zid 1", "invalid_card_serial"),
    ])
    def test_each_value_type_checks_its_shape(self, cls, good, bad, code):
        assert cls(good) == good
        with pytest.raises(InvalidValue) as caught:
            cls(bad)
        assert caught.value.code == code
        assert bad in caught.value.message  # the person sees what was wrong

    def test_card_types(self):
        assert CardType.parse("z") is CardType.CARE_PROVIDER
        with pytest.raises(InvalidValue) as caught:
            CardType.parse("X")
        assert caught.value.code == "invalid_card_type"

    def test_a_pass_needs_a_name_and_aware_times(self):
        with pytest.raises(InvalidValue) as caught:
            uzi_pass("900000001", name=(" ", ""))
        assert caught.value.code == "invalid_name"
        with pytest.raises(InvalidValue) as caught:
            uzi_pass("900000001", valid_from=datetime(2026, 1, 1))
        assert caught.value.code == "naive_datetime"

    def test_a_pass_not_yet_valid_is_refused(self):
        future = uzi_pass("900000001", valid_from=T0 + timedelta(days=1))
        with pytest.raises(RuleViolation) as caught:
            future.check_usable(T0)
        assert caught.value.code == "uzi_pass_not_yet_valid"

    def test_actors(self):
        assert ASSISTANT_A.actor().to_dict()["card_type"] == "N"
        assert Actor.from_dict(ASSISTANT_A.actor().to_dict()) == ASSISTANT_A.actor()
        with pytest.raises(InvalidValue) as caught:
            Actor.system("Expiry Job!")
        assert caught.value.code == "invalid_system_actor"


class TestTime:
    @given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31),
                        timezones=st.just(UTC)), st.integers(0, 10))
    def test_add_years_keeps_the_wall_clock_and_never_overflows_the_month(self, moment, years):
        later = add_years(moment, years)
        assert later.year == moment.year + years
        assert (later.month, later.time(), later.tzinfo) == (moment.month, moment.time(), UTC)
        assert later.day == moment.day or (moment.month, moment.day, later.day) == (2, 29, 28)
        assert add_years_to_date(moment.date(), years) == later.date()

    def test_timestamps_must_say_their_zone(self):
        assert parse_timestamp("2026-11-28T13:00:00Z") == datetime(2026, 11, 28, 13, tzinfo=UTC)
        assert parse_timestamp("2026-11-28T14:00:00+01:00").hour == 13
        with pytest.raises(InvalidValue) as caught:
            parse_timestamp("2026-11-28T13:00:00")
        assert caught.value.code == "naive_datetime"
        with pytest.raises(InvalidValue) as caught:
            parse_timestamp("gisteren")
        assert caught.value.code == "invalid_timestamp"

    def test_the_manual_clock_does_not_run_backwards(self):
        clock = ManualClock(T0)
        assert clock.advance(timedelta(hours=1)) == T0 + timedelta(hours=1)
        with pytest.raises(ValueError):
            clock.advance(timedelta(seconds=-1))
        assert date(2026, 3, 2) == clock.now().date()


class TestMoney:
    @given(st.integers(0, 10**9), st.integers(0, 10_000))
    def test_vat_is_whole_cents_rounded_half_up(self, net, rate):
        vat = vat_cents(net, rate)
        exact = net * rate / 10_000
        assert isinstance(vat, int)
        assert abs(vat - exact) <= 0.5
        assert vat_cents(net, 0) == 0

    def test_prices_are_whole_non_negative_cents(self):
        with pytest.raises(InvalidValue) as caught:
            Pricing(unit_price_cents=75.0)  # type: ignore[arg-type]
        assert caught.value.code == "invalid_pricing"
        with pytest.raises(InvalidValue):
            Pricing(shipping_cents=-1)


class TestPlainText:
    @given(st.text(st.characters(exclude_categories=()), max_size=300))
    def test_what_is_accepted_can_always_be_stored_as_utf8(self, text):
        from domain.text import plain_text

        try:
            kept = plain_text(text, "reason")
        except InvalidValue as refused:
            assert refused.code == "invalid_reason"
        else:
            assert kept.encode("utf-8").decode("utf-8") == kept
            assert 1 <= len(kept) <= 200 and kept == " ".join(kept.split())

    @pytest.mark.parametrize("text", ["kwijt \ud800", "\udfff", "nul\x00byte"])
    def test_surrogates_and_control_characters_are_refused(self, text):
        from domain.text import plain_text

        with pytest.raises(InvalidValue, match="not text"):
            plain_text(text, "reason")

    def test_the_end_of_the_calendar_is_out_of_range_not_an_overflow(self):
        from domain.clock import end_of_day, require_utc

        with pytest.raises(InvalidValue) as caught:
            end_of_day(date.max)
        assert caught.value.code == "date_out_of_range"
        with pytest.raises(InvalidValue):
            require_utc(datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))))
