"""The Kafka adapters against a real Kafka-protocol broker (Tansu)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from kafka import KafkaConsumer, TopicPartition

from adapters.bootstrap import Settings, open_lifecycle
from adapters.cli.main import cli
from adapters.kafka.schema import all_schemas
from projections.runner import ApplicationSource, Projector, open_views
from tests.integration.test_projections import dump
from tests.support import zorgid_command

ROOT = Path(__file__).resolve().parents[2]


def zorgid(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)




def read_topic(bootstrap: str, topic: str, idle_seconds: float = 2.0) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=int(idle_seconds * 1000))
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records = list(consumer)
    consumer.close()
    return records


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("kafka") / "data"
    assert zorgid("demo", "--data-dir", str(data), "--practices", "6", "--seed", "8")\
        .exit_code == 0
    return data


def topic_name() -> str:
    return f"zorgid.test.{uuid.uuid4().hex[:10]}"


def relay(data: Path, bootstrap: str, topic: str, *extra: str):
    return zorgid("kafka", "relay", "--data-dir", str(data), "--bootstrap", bootstrap,
                  "--topic", topic, "--until-caught-up", *extra)


class TestRelay:
    def test_every_event_once_keyed_by_aggregate_and_valid_against_its_schema(
            self, demo, kafka_broker):
        topic = topic_name()
        result = relay(demo, kafka_broker, topic, "--personal-data", "--partitions", "3")
        assert result.exit_code == 0, result.output
        app = open_lifecycle(Settings(data_dir=demo))
        head = app.head()
        stored = {e.position: e for e in app.read_log()}
        app.close()
        records = read_topic(kafka_broker, topic)
        values = [json.loads(r.value) for r in records]
        assert sorted(v["position"] for v in values) == list(range(1, head + 1))
        schemas = all_schemas()
        partitions_of_key = defaultdict(set)
        for record, value in zip(records, values, strict=True):
            jsonschema.validate(value, schemas[value["type"]],
                                format_checker=jsonschema.FormatChecker())
            event = stored[value["position"]]
            assert record.key.decode() == value["originator_id"] == str(event.originator_id)
            assert value["originator_version"] == event.originator_version
            headers = dict(record.headers)
            assert headers["type"].decode() == value["type"] == event.type
            assert int(headers["position"]) == value["position"]
            partitions_of_key[record.key].add(record.partition)
        assert all(len(p) == 1 for p in partitions_of_key.values())
        assert len({r.partition for r in records}) > 1

    def test_without_consent_names_and_uzi_numbers_stay_home(self, demo, kafka_broker):
        topic = topic_name()
        assert relay(demo, kafka_broker, topic).exit_code == 0
        records = read_topic(kafka_broker, topic)
        app = open_lifecycle(Settings(data_dir=demo))
        people = {(e.actor.get("name"), e.actor.get("uzi_number")) for e in app.read_log()
                  if e.actor.get("kind") == "person"}
        app.close()
        raw = b"\n".join(r.value for r in records)
        for name, uzi_number in people:
            assert name.encode() not in raw and uzi_number.encode() not in raw
        values = [json.loads(r.value) for r in records]
        assert not any(v["type"].startswith("Person.") for v in values)
        schemas = all_schemas()
        for value in values:
            jsonschema.validate(value, schemas[value["type"]])
        assert {dict(r.headers)["personal-data"] for r in records} == {b"omitted"}

    def test_a_second_run_publishes_only_what_is_new(self, demo, kafka_broker, tmp_path):
        topic = topic_name()
        assert relay(demo, kafka_broker, topic, "--personal-data").exit_code == 0
        again = relay(demo, kafka_broker, topic, "--personal-data")
        assert "published 0 event(s)" in again.output
        assert len(read_topic(kafka_broker, topic)) == open_lifecycle(
            Settings(data_dir=demo)).head()

    def test_an_unreachable_broker_is_one_clear_line(self, demo):
        from tests.conftest import free_port

        started = time.monotonic()
        result = CliRunner().invoke(cli, [
            "kafka", "relay", "--data-dir", str(demo), "--bootstrap",
            f"127.0.0.1:{free_port()}", "--connect-attempts", "1", "--until-caught-up"])
        assert result.exit_code == 1
        assert result.output.strip().startswith("zorgid: kafka_unreachable:")
        assert len(result.output.strip().splitlines()) == 1
        assert time.monotonic() - started < 30


def tracked(views: Path, topic: str) -> int:
    try:
        with sqlite3.connect(f"file:{views}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT position FROM projection_tracking WHERE view = ?",
                               (f"kafka:{topic}",)).fetchone()
            return row[0] if row else 0
    except sqlite3.OperationalError:
        return 0


class TestCrashes:
    def test_a_relay_killed_mid_way_loses_nothing_and_keeps_each_aggregate_in_order(
            self, demo, kafka_broker, tmp_path):
        data = tmp_path / "data"
        import shutil

        shutil.copytree(demo, data)
        topic = topic_name()
        head = open_lifecycle(Settings(data_dir=data)).head()
        views = data / "views.sqlite3"
        command = [*zorgid_command(), "kafka", "relay", "--data-dir", str(data), "--bootstrap",
                   kafka_broker, "--topic", topic, "--personal-data", "--until-caught-up",
                   "--page-size", "7"]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("ZORGID_")}
        rng = random.Random(99)
        kills = []
        while len(kills) < 6:
            start = tracked(views, topic)
            if start >= head:
                break
            process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            target = rng.randint(start + 1, min(head, start + head // 8))
            deadline = time.monotonic() + 60
            while tracked(views, topic) < target and process.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.002)
            if process.poll() is not None:
                break
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills.append(tracked(views, topic))
        final = subprocess.run(command, env=environment, capture_output=True, text=True,
                               check=False, timeout=120)
        assert final.returncode == 0, final.stderr
        assert len(kills) >= 3, kills

        records = read_topic(kafka_broker, topic)
        positions = [json.loads(r.value)["position"] for r in records]
        assert set(positions) == set(range(1, head + 1))  # every position, at least once
        seen: set[int] = set()
        versions_by_key = defaultdict(list)
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            value = json.loads(record.value)
            if value["position"] in seen:
                continue  # a duplicate: dropped by position
            seen.add(value["position"])
            versions_by_key[record.key].append(value["originator_version"])
        assert len(seen) == head  # after dropping duplicates: exactly once
        for key, versions in versions_by_key.items():
            assert versions == sorted(versions) and len(set(versions)) == len(versions), key
        print(f"killed at {kills}; {len(positions) - head} duplicate(s) dropped")


class TestConsumers:
    def test_a_consumer_group_projection_equals_the_local_one(self, demo, kafka_broker,
                                                              tmp_path):
        topic = topic_name()
        assert relay(demo, kafka_broker, topic, "--personal-data", "--partitions", "4")\
            .exit_code == 0
        replica = tmp_path / "replica"
        result = zorgid("kafka", "project", "--data-dir", str(replica), "--bootstrap",
                        kafka_broker, "--topic", topic, "--group", "views-replica")
        assert result.exit_code == 0, result.output
        app = open_lifecycle(Settings(data_dir=demo))
        local = open_views(tmp_path / "local.sqlite3")
        Projector(local).rebuild(ApplicationSource(app))
        assert f"views at position {app.head()}" in result.output
        app.close()
        remote = open_views(replica / "views.sqlite3")
        assert dump(remote) == dump(local)
        # run again: the group's committed offsets and the tracked position agree
        again = zorgid("kafka", "project", "--data-dir", str(replica), "--bootstrap",
                       kafka_broker, "--topic", topic, "--group", "views-replica")
        assert again.exit_code == 0 and dump(open_views(replica / "views.sqlite3")) \
            == dump(local)

    def test_projection_refuses_a_topic_without_personal_data(self, demo, kafka_broker,
                                                              tmp_path):
        topic = topic_name()
        assert relay(demo, kafka_broker, topic).exit_code == 0
        result = zorgid("kafka", "project", "--data-dir", str(tmp_path / "r"), "--bootstrap",
                        kafka_broker, "--topic", topic, "--group", "g")
        assert result.exit_code == 1 and "topic_without_personal_data" in result.output

    def test_billing_totals_match_the_invoices(self, demo, kafka_broker, tmp_path):
        topic = topic_name()
        assert relay(demo, kafka_broker, topic).exit_code == 0
        state = tmp_path / "totals.sqlite3"
        args = ["kafka", "billing-totals", "--bootstrap", kafka_broker, "--topic", topic,
                "--state", str(state), "--idle", "2"]
        result = zorgid(*args)
        assert result.exit_code == 0, result.output
        totals = {row["ura"]: row for row in map(json.loads, result.output.splitlines())}
        app = open_lifecycle(Settings(data_dir=demo))
        local = open_views(tmp_path / "local.sqlite3")
        Projector(local).rebuild(ApplicationSource(app))
        app.close()
        expected = {ura: (n, total) for ura, n, total in local.conn.execute(
            "SELECT ura, count(*), sum(total_cents) FROM invoices GROUP BY ura")}
        assert {ura: (t["orders"], t["total_cents"]) for ura, t in totals.items()} == expected
        # consuming again (same group) counts nothing twice
        again = zorgid(*args)
        assert again.output == result.output


def test_the_published_schemas_in_docs_are_current():
    generated = all_schemas()
    directory = ROOT / "docs" / "events"
    files = {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
             for p in directory.glob("*.schema.json")}
    assert files == generated, "run: zorgid kafka schemas --out docs/events"
