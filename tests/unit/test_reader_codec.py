"""The reader's pure codec: TLV and APDUs, round trips and garbage (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.reader.apdu import ApduFormatError, CommandApdu, ResponseApdu, describe
from adapters.reader.status import SW, Blocked, CardError, NotFound, WrongPin, check
from adapters.reader.tlv import Tlv, TlvError, encode_tlv, parse_tlvs, tlv_map, unwrap

# BER tags: one byte whose low five bits are not all set, or a first byte with 1F and
# continuation bytes with b8 set on all but the last.
single_byte_tags = st.integers(0, 0xFF).filter(lambda t: t & 0x1F != 0x1F)
two_byte_tags = st.integers(0, 0xFF).map(lambda b: (0x5F << 8) | (b & 0x7F))
three_byte_tags = st.tuples(st.integers(0x80, 0xFF), st.integers(0, 0x7F)).map(
    lambda p: (0x5F << 16) | (p[0] << 8) | p[1])
tags = st.one_of(single_byte_tags, two_byte_tags, three_byte_tags)
values = st.binary(max_size=700)


class TestTlv:
    @given(tags, values)
    def test_round_trip(self, tag, value):
        encoded = encode_tlv(tag, value)
        item, end = Tlv.parse_one(encoded)
        assert (item.tag, item.value, end) == (tag, value, len(encoded))

    @given(st.lists(st.tuples(tags, values), max_size=6))
    def test_sequences_round_trip(self, items):
        data = b"".join(encode_tlv(t, v) for t, v in items)
        assert [(i.tag, i.value) for i in parse_tlvs(data)] == items

    @given(tags, values.filter(bool), st.data())
    def test_any_truncation_is_refused(self, tag, value, data):
        encoded = encode_tlv(tag, value)
        cut = data.draw(st.integers(1, len(encoded) - 1))
        with pytest.raises(TlvError):
            parse_tlvs(encoded[:cut])

    @given(st.binary(max_size=64))
    def test_garbage_is_parsed_or_refused_never_crashes(self, garbage):
        try:
            items = parse_tlvs(garbage)
        except TlvError:
            return
        assert b"".join(i.encode() for i in items) == garbage or items

    def test_long_lengths_and_refusals(self):
        assert encode_tlv(0x53, bytes(300))[:4] == bytes.fromhex("53820 12C".replace(" ", ""))
        with pytest.raises(TlvError):
            parse_tlvs(bytes.fromhex("5380"))  # indefinite length
        with pytest.raises(TlvError):
            parse_tlvs(bytes.fromhex("538500000000 01"))  # 5-byte length field
        with pytest.raises(TlvError):
            unwrap(encode_tlv(0x53, b"x") + b"\x00", 0x53)  # trailing bytes
        with pytest.raises(TlvError):
            unwrap(encode_tlv(0x54, b"x"), 0x53)

    def test_fields_are_found_by_tag_not_position(self):
        template = encode_tlv(0x81, b"\x01\x02") + encode_tlv(0x82)  # OpenSC's order
        assert tlv_map(template) == {0x81: b"\x01\x02", 0x82: b""}


commands = st.builds(
    CommandApdu, st.integers(0, 0xFF), st.integers(0, 0xFF), st.integers(0, 0xFF),
    st.integers(0, 0xFF), st.binary(max_size=600),
    st.one_of(st.none(), st.integers(1, 65536)))


class TestApdu:
    @given(commands)
    def test_round_trip_short_or_extended(self, apdu):
        assert CommandApdu.parse(apdu.encode()) == apdu

    @given(commands)
    def test_extended_form_always_round_trips(self, apdu):
        if apdu.data or apdu.le is not None:
            assert CommandApdu.parse(apdu.encode(extended=True)) == apdu

    @given(st.binary(max_size=600), st.integers(1, 300))
    def test_chaining_keeps_the_data_and_marks_all_but_the_last(self, data, size):
        chain = CommandApdu(0x00, 0xDB, 0x3F, 0xFF, data, None).chained(size)
        assert b"".join(part.data for part in chain) == data
        assert all(p.cla == 0x10 for p in chain[:-1]) and chain[-1].cla == 0x00
        assert all(len(p.data) <= size for p in chain)

    @given(st.binary(max_size=300))
    def test_garbage_command_is_parsed_or_refused(self, raw):
        try:
            apdu = CommandApdu.parse(raw)
        except ApduFormatError:
            return
        assert apdu.encode() == raw or CommandApdu.parse(apdu.encode()) == apdu

    def test_responses_and_short_limits(self):
        assert ResponseApdu.parse(b"\x01\x02\x90\x00") == ResponseApdu(b"\x01\x02", 0x9000)
        with pytest.raises(ApduFormatError):
            ResponseApdu.parse(b"\x90")
        with pytest.raises(ApduFormatError):
            CommandApdu(0, 0xDB, 0, 0, bytes(300)).encode(extended=False)

    def test_pins_never_reach_the_log_line(self):
        line = describe(CommandApdu(0x00, 0x20, 0x00, 0x80, b"123456\xff\xff"))
        assert "3132" not in line and "123456" not in line
        key = bytes(range(0x40, 0x50))
        line = describe(CommandApdu(0x00, 0xFF, 0xFF, 0xFF, b"\x08\x9b\x10" + key))
        assert key.hex() not in line


class TestStatusWords:
    def test_success_passes_and_a_wrong_pin_carries_the_tries_left(self):
        check(SW.SUCCESS)
        with pytest.raises(WrongPin) as caught:
            check(0x63C2)
        assert caught.value.tries_left == 2
        with pytest.raises(Blocked):
            check(0x6983)
        with pytest.raises(NotFound):
            check(0x6A82)
        with pytest.raises(CardError) as unknown:
            check(0x6F42)
        assert unknown.value.sw == 0x6F42
