"""A new cipher key: every event written again, in the same order, into a new store.

The library encrypts each event's content with the store's one key, so a key is changed by
copying the store: each stored event is decrypted with the old key and encrypted with a
new one, in stored order, in batches. The new store records its new key's identifier and
the old store's way of deriving ids of personal data (ids never change), every event is
compared with the original after the copy, and the old store is left untouched: keep it,
with its audit chain, as the archive of the time before the new key. The new store's
chain starts at position 1 and is sealed with the same seal key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from itertools import zip_longest
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from adapters.audit import seal as sealing
from adapters.backup import copy_deployment_files
from adapters.bootstrap import open_lifecycle, store_facts
from adapters.secrets import create_secret_file
from adapters.settings import KEY_FILE, Settings
from adapters.store_identity import cipher_key_id
from domain.application import CardLifecycle
from domain.errors import RuleViolation

BATCH = 1000


@dataclass(frozen=True)
class RekeyResult:
    events: int
    old_key_id: str
    new_key_id: str
    sealed: bool


def rekey(old: Settings, out: Path, database_url: str | None, now: datetime) -> RekeyResult:
    if out.exists() and any(out.iterdir()):
        raise RuleViolation("rekey_target_not_empty",
                            f"{out} is not empty; the new store goes into a new directory")
    if old.database_url and database_url == old.database_url:
        raise RuleViolation("rekey_same_store", "the new store must be another database "
                            "(or another ?schema=) than the old one")
    new = Settings(data_dir=out, database_url=database_url, pricing=old.pricing,
                   policy=old.policy)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    source = open_lifecycle(old)
    try:
        scheme = store_facts(old).get("personal_ids")
        assert scheme is not None  # open_lifecycle recorded it
        key = AESCipher.create_key(num_bytes=32)
        create_secret_file(new.key_path, (key + "\n").encode())
        copy_deployment_files(old, out, leave_out=frozenset({KEY_FILE}))
        facts = store_facts(new)
        if facts.get("cipher_key_id") is not None:
            raise RuleViolation("rekey_target_not_empty", "the new database already holds a "
                                "store; give an empty one")
        facts.claim("cipher_key_id", cipher_key_id(key))
        facts.claim("personal_ids", scheme)
        target = open_lifecycle(new)
        try:
            if target.head() != 0:
                raise RuleViolation("rekey_target_not_empty", "the new store holds events")
            copied = _copy(source, target)
            _compare(source, target)
            sealed = (new.data_dir / sealing.PRIVATE_KEY_FILE).exists()
            if sealed:
                sealing.seal(target.recorder, new.data_dir, now)
        finally:
            target.close()
    finally:
        source.close()
    return RekeyResult(copied, cipher_key_id(old.resolved_cipher_key()), cipher_key_id(key),
                       sealed)


def _copy(source: CardLifecycle, target: CardLifecycle) -> int:
    position, copied = 0, 0
    while page := source.recorder.select_notifications(position, BATCH,
                                                        inclusive_of_start=False):
        stored = [target.mapper.to_stored_event(source.mapper.to_domain_event(n))
                  for n in page]
        target.recorder.insert_events(stored)
        position, copied = page[-1].id, copied + len(page)
    return copied


def _compare(source: CardLifecycle, target: CardLifecycle) -> None:
    """Every event of the new store is the old one: same order, id, version, content."""
    for before, after in zip_longest(source.read_log(), target.read_log()):
        if before is None or after is None:
            raise RuleViolation("rekey_mismatch", "the stores hold different numbers of "
                                "events; the old store is untouched, remove the new one")
        if replace(before, position=0) != replace(after, position=0):
            raise RuleViolation("rekey_mismatch", f"event {before.position} differs in the "
                                "new store; the old store is untouched, remove the new one")
