"""What the CLI's operator and auditor commands are handed: the audit seal, history
replay, backups and re-keying, and the demo history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from adapters.audit import seal as sealing
from adapters.audit.replay import History
from adapters.audit.replay import history as replay_history
from adapters.backup import backup, restore
from adapters.bootstrap.store import demo_personal_ids_key, init_data_dir, open_lifecycle
from adapters.demo import DEMO_START, DemoScenario, DemoSummary
from adapters.notify import Outcome, SmtpServer, send_reminders
from adapters.rekey import rekey
from adapters.settings import ConfigurationError, Settings
from domain.clock import ManualClock
from domain.errors import NotFound, RuleViolation

__all__ = ["backup", "demo_history", "history", "rekey", "restore", "seal",
           "seal_public_key_file", "send_due_reminders", "server_demo_data", "verify_seal"]


def send_due_reminders(settings: Settings) -> Outcome:
    """`zorgid notify`: the views brought up to date, then every reminder due now through
    the configured mail server (R17)."""
    from adapters.bootstrap.store import open_views_db
    from projections import expiry
    from projections.runner import ApplicationSource, Projector

    if not settings.smtp_url:
        raise ConfigurationError("set ZORGID_SMTP_URL (smtp://[user@]host[:port]) to send "
                                 "reminders")
    server = SmtpServer.of(settings)
    app = open_lifecycle(settings)
    db = open_views_db(settings)
    try:
        Projector(db).run_until_caught_up(ApplicationSource(app))
        due = expiry.reminders_due(db, app.clock.now())
        return send_reminders(app, due, server.send, settings.smtp_from, settings.public_url)
    finally:
        db.conn.close()
        app.close()


def history(settings: Settings, target: str, at: dt.datetime | None) -> History:
    """`zorgid audit history`: a card's or practice's events and state, replayed."""
    app = open_lifecycle(settings)
    try:
        return replay_history(app, target, at)
    finally:
        app.close()


def seal_public_key_file(settings: Settings) -> Path:
    return settings.data_dir / sealing.PUBLIC_KEY_FILE


def seal(settings: Settings) -> sealing.SealResult:
    """`zorgid audit seal`: extend the hash chain and sign a checkpoint."""
    app = open_lifecycle(settings)
    try:
        return sealing.seal(app.recorder, settings.data_dir)
    finally:
        app.close()


def verify_seal(settings: Settings, public_key: Path | None,
                audit_file: Path | None) -> sealing.Verdict:
    """`zorgid audit verify`: the store against the chain and its signed checkpoints."""
    chain = audit_file or settings.data_dir / sealing.AUDIT_FILE
    if not chain.exists():
        raise NotFound("not_sealed", f"this store has never been sealed (no {chain}); seal "
                       f"it first: zorgid audit seal --data-dir {settings.data_dir}")
    key = sealing.load_public_key(public_key or seal_public_key_file(settings))
    app = open_lifecycle(settings)
    try:
        return sealing.verify(app.recorder, audit_file or settings.data_dir
                              / sealing.AUDIT_FILE, key)
    finally:
        app.close()


def demo_history(settings: Settings, practices: int, seed: int) -> DemoSummary:
    """`zorgid demo`: a demo history in an empty store (a SQLite one made here, with the
    seed's personal-ids key, so the same seed gives the same history)."""
    if not settings.database_url:
        init_data_dir(settings, demo_personal_ids_key(seed))
    app = open_lifecycle(settings, clock=ManualClock(DEMO_START))
    try:
        if app.head() > 0:
            raise RuleViolation(
                "store_not_empty",
                "the demo writes a fresh history and needs an empty store; "
                "choose another --data-dir",
            )
        return DemoScenario(app, practices, seed).run()
    finally:
        app.close()


def server_demo_data(settings: Settings, announce: Callable[[str], None]) -> bool:
    """`zorgid serve --dev`: the demo history of 50 practices on first start; False when
    the store already held events."""
    init_data_dir(settings)
    app = open_lifecycle(settings, clock=ManualClock(DEMO_START))
    try:
        if app.head() > 0:
            return False
        announce("making demo data (50 practices) ...")
        DemoScenario(app, 50, 1).run()
        return True
    finally:
        app.close()
