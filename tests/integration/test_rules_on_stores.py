"""Every rule test of tests/unit/test_rules.py, again on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.unit.test_rules import *  # noqa: F403


@pytest.fixture
def app(store_app):
    return store_app
