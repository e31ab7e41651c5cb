"""The virtual card's memory: keys, data objects, PIN and PUK with their tries, and the
management key, in a JSON file written atomically after every change. The file holds
private keys as a chip does, so it is created with mode 0600."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

PIN_TRIES = PUK_TRIES = 3
DEFAULT_PIN, DEFAULT_PUK = "123456", "12345678"  # a blank card's, as PIV cards ship


@dataclass
class CardState:
    serial: str
    management_key_algorithm: int
    management_key: str  # hex
    pin: str = DEFAULT_PIN
    puk: str = DEFAULT_PUK
    pin_tries: int = PIN_TRIES
    puk_tries: int = PUK_TRIES
    objects: dict[str, str] = field(default_factory=dict)  # object id hex -> value hex
    keys: dict[str, str] = field(default_factory=dict)  # slot hex -> private key PEM
    # a factory-fresh card: the chip's own serial (as Yubico's INS F8 reads it), and
    # whether the management key is still the publicly known default
    chip_serial: int | None = None
    cplc: str | None = None  # hex: a card manager's CPLC data (GP GET DATA 9F7F)
    management_key_is_default: bool = False
    management_key_changeable: bool = True

    @classmethod
    def load(cls, path: Path) -> CardState:
        return cls(**json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(self), handle)
        os.replace(temporary, path)
