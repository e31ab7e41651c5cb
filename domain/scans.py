"""The scheduled scans of the expiry job: cards past their end (R4, R11) and
personalisations that reported nothing in time. Each reads the log once, from where it
was last time, into a heap ordered by due moment, so a long-running process (the
service, the demo) reads every activation and every start once."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.card import Card
from domain.log import LoggedEvent


class ReadsLog(Protocol):
    def read_log(self, after: int = 0, limit: int | None = None,
                 topics: list[str] | None = None,
                 page_size: int = 1000) -> Iterator[LoggedEvent]: ...


class ExpiryScan:
    """Cards whose end has come: activations seen so far, by `expires_at`."""

    def __init__(self) -> None:
        self.scanned = 0
        self.heap: list[tuple[datetime, UUID]] = []

    def due(self, log: ReadsLog, now: datetime) -> list[UUID]:
        for event in log.read_log(after=self.scanned, topics=[Card.Activated.TOPIC]):
            heapq.heappush(self.heap, (event.payload["expires_at"], event.originator_id))
            self.scanned = event.position
        due = []
        while self.heap and self.heap[0][0] <= now:
            due.append(heapq.heappop(self.heap)[1])
        return list(dict.fromkeys(due))


class StalePersonalisationScan:
    """Personalisation jobs started longer than `timeout` ago, by start."""

    def __init__(self, timeout: timedelta) -> None:
        self.timeout = timeout
        self.scanned = 0
        self.heap: list[tuple[datetime, UUID, UUID]] = []  # (started, card, job)

    def due(self, log: ReadsLog, now: datetime) -> list[tuple[UUID, UUID]]:
        for event in log.read_log(after=self.scanned, topics=[Card.CreationStarted.TOPIC]):
            heapq.heappush(self.heap, (event.timestamp, event.originator_id,
                                       UUID(str(event.payload["job_id"]))))
            self.scanned = event.position
        due = []
        while self.heap and now - self.heap[0][0] >= self.timeout:
            _, card_id, job_id = heapq.heappop(self.heap)
            due.append((card_id, job_id))
        return due
