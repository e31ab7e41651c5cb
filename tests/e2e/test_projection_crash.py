"""SIGKILL the projection runner at random moments, many times; restart it each time.

The views must end exactly equal to a clean rebuild: nothing double-counted, nothing
skipped (issue 3, exactly-once)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from adapters.bootstrap import Settings, open_lifecycle
from projections.runner import ApplicationSource, Projector, open_views
from tests.e2e.test_demo_run import zorgid
from tests.integration.test_projections import dump
from tests.support import zorgid_command


def runner_command(data: Path) -> list[str]:
    return [*zorgid_command(), "project", "--data-dir", str(data), "--batch-size", "1"]


def tracked(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT min(position) FROM projection_tracking").fetchone()
            return row[0] or 0
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_killing_the_runner_at_any_moment_never_double_counts_or_skips(tmp_path):
    data = tmp_path / "data"
    assert zorgid("demo", "--data-dir", str(data), "--practices", "40", "--seed", "4") \
        .returncode == 0
    settings = Settings(data_dir=data)
    app = open_lifecycle(settings)
    head = app.head()
    rng = random.Random(1234)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    kill_positions = []
    def start_over() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.views_path}{suffix}").unlink(missing_ok=True)

    for attempt in range(40):
        if tracked(settings.views_path) >= head:
            start_over()
        start = tracked(settings.views_path)
        process = subprocess.Popen(runner_command(data), env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if attempt % 5 == 0:
            time.sleep(rng.uniform(0.0, 0.3))  # now and then: during start-up
        else:
            # somewhere in the middle of the work: wait until the runner passes a random
            # position, then kill it wherever it is in its transaction
            target = rng.randint(start + 1, min(head, start + 300))
            deadline = time.monotonic() + 30
            while tracked(settings.views_path) < target and process.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.001)
        if process.poll() is not None:
            # it finished before the kill: start the views over, and go on killing
            assert process.returncode == 0, process.stderr.read() if process.stderr else ""
            start_over()
            continue
        process.send_signal(signal.SIGKILL)
        process.wait()
        kill_positions.append(tracked(settings.views_path))
    final = subprocess.run(runner_command(data), env=environment, capture_output=True,
                           text=True, check=False)
    assert final.returncode == 0, final.stderr
    reference = open_views(tmp_path / "reference.sqlite3")
    Projector(reference).rebuild(ApplicationSource(app))
    live = open_views(settings.views_path)
    assert dump(live) == dump(reference)
    assert Projector(live).position() == head
    mid_run = [p for p in kill_positions if 0 < p < head]
    assert len(mid_run) >= 25, kill_positions
    app.close()


def test_follow_keeps_up_with_new_events_and_stops_cleanly_on_sigterm(tmp_path):
    data = tmp_path / "data"
    assert zorgid("demo", "--data-dir", str(data), "--practices", "2").returncode == 0
    settings = Settings(data_dir=data)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
    command = [*runner_command(data)[:-2], "--follow", "--poll", "0.05"]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        app = open_lifecycle(settings)
        deadline = time.monotonic() + 30
        while tracked(settings.views_path) < app.head() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tracked(settings.views_path) == app.head()
        app.expire_cards()  # new events while it follows (the demo's cards due by now)
        from tests.support import DOCTOR_A, ready_practice

        app.register_practice(DOCTOR_A.ura, "Nieuw", "apotheek", DOCTOR_A)
        ready_practice(app)
        deadline = time.monotonic() + 30
        while tracked(settings.views_path) < app.head() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tracked(settings.views_path) == app.head()
        app.close()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "views at position" in out
