"""Request counts and durations per route and status, in Prometheus text format, fed
by an ASGI middleware (served at /metrics to the operator's token)."""

from __future__ import annotations

import threading
import time
from typing import Any


class Metrics:
    """Request counts and durations per route and status, in Prometheus text format."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.seconds: dict[tuple[str, str], float] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, route, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.seconds[(method, route)] = self.seconds.get((method, route), 0.0) + seconds

    def text(self, store_position: int, views_position: int) -> str:
        lines = ["# HELP zorgid_http_requests_total HTTP requests by route and status.",
                 "# TYPE zorgid_http_requests_total counter"]
        with self.lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'zorgid_http_requests_total{{method="{method}",route="{route}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP zorgid_http_request_seconds_total Time spent per route.",
                      "# TYPE zorgid_http_request_seconds_total counter"]
            for (method, route), seconds in sorted(self.seconds.items()):
                lines.append(f'zorgid_http_request_seconds_total{{method="{method}",'
                             f'route="{route}"}} {seconds:.6f}')
        lines += ["# HELP zorgid_store_position Last position in the event store.",
                  "# TYPE zorgid_store_position gauge", f"zorgid_store_position {store_position}",
                  "# HELP zorgid_views_position Position the read models have reached.",
                  "# TYPE zorgid_views_position gauge", f"zorgid_views_position {views_position}"]
        return "\n".join(lines) + "\n"


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class CountRequests:
    """ASGI middleware feeding Metrics: method, route template, status and duration."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")  # set by the router on the shared scope
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.metrics.observe(method, getattr(route, "path", "unmatched"), status,
                                 time.perf_counter() - started)
