"""BER-TLV as ISO 7816-4 uses it (annex D): multi-byte tags, long lengths, strict parsing."""

from __future__ import annotations

from dataclasses import dataclass


class TlvError(ValueError):
    """Malformed TLV data (truncated, a length past the end, an indefinite length)."""


def encode_tag(tag: int) -> bytes:
    if tag < 0:
        raise TlvError(f"negative tag {tag}")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    if length < 0:
        raise TlvError(f"negative length {length}")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise TlvError(f"length {length} is too long for BER")
    return bytes([0x80 | len(body)]) + body


def encode_tlv(tag: int, value: bytes = b"") -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise TlvError("missing tag")
    start = offset
    first = data[offset]
    tag, offset = first, offset + 1
    if first & 0x1F == 0x1F:  # the tag number continues in the next bytes (b8 = more)
        while True:
            if offset >= len(data):
                raise TlvError("truncated multi-byte tag")
            if offset - start >= 4:
                raise TlvError("tag longer than 4 bytes")
            byte = data[offset]
            tag, offset = (tag << 8) | byte, offset + 1
            if not byte & 0x80:
                break
    return tag, offset


def _read_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise TlvError("missing length")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if count == 0:
        raise TlvError("indefinite length is not allowed here")
    if count > 4:
        raise TlvError(f"a {count}-byte length field is not supported")
    if offset + count > len(data):
        raise TlvError("truncated length")
    return int.from_bytes(data[offset:offset + count], "big"), offset + count


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes

    def encode(self) -> bytes:
        return encode_tlv(self.tag, self.value)

    @staticmethod
    def parse_one(data: bytes, offset: int = 0) -> tuple[Tlv, int]:
        tag, offset = _read_tag(data, offset)
        length, offset = _read_length(data, offset)
        end = offset + length
        if end > len(data):
            raise TlvError(f"tag {tag:X} says {length} bytes, only {len(data) - offset} follow")
        return Tlv(tag, bytes(data[offset:end])), end


def parse_tlvs(data: bytes) -> list[Tlv]:
    """Every TLV in `data`, which they must fill exactly."""
    items, offset = [], 0
    while offset < len(data):
        item, offset = Tlv.parse_one(data, offset)
        items.append(item)
    return items


def tlv_map(data: bytes) -> dict[int, bytes]:
    """By tag (first occurrence wins): parse by tag, never by position."""
    found: dict[int, bytes] = {}
    for item in parse_tlvs(data):
        found.setdefault(item.tag, item.value)
    return found


def unwrap(data: bytes, tag: int) -> bytes:
    """The value of a single expected outer TLV (a PIV `53` object, a `7C` template)."""
    item, end = Tlv.parse_one(data)
    if item.tag != tag:
        raise TlvError(f"expected tag {tag:X}, found {item.tag:X}")
    if end != len(data):
        raise TlvError(f"{len(data) - end} unexpected byte(s) after tag {tag:X}")
    return item.value
