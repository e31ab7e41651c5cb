"""The shape of the house: no import cycles among the project's modules, and the domain
imports nothing outward (docs/architecture.md, section 2)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "projections", "adapters")


def _imports() -> dict[str, set[str]]:
    modules: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__")
            found: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text())):  # function-level ones too
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
                elif isinstance(node, ast.Import):
                    found |= {a.name for a in node.names}
            modules[name] = found
    return {name: {d for d in found if d in modules and d != name}
            for name, found in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_no_module_of_ours_imports_itself_through_others():
    assert _cycles(_imports()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_domain_imports_no_other_layer_and_projections_no_adapter():
    graph = _imports()
    for name, found in graph.items():
        if name.startswith("domain"):
            assert all(d.startswith("domain") for d in found), (name, found)
        if name.startswith("projections"):
            assert not any(d.startswith("adapters") for d in found), (name, found)


def test_routers_import_neither_the_app_nor_each_other():
    graph = _imports()
    for name, found in graph.items():
        if name.startswith("adapters.http.routes.") and not name.endswith(".common"):
            assert "adapters.http.app" not in found, name
            assert not {d for d in found if d.startswith("adapters.http.routes.")
                        and not d.startswith("adapters.http.routes.common")}, (name, found)


ALLOWED_CLI = ("adapters.cli", "adapters.bootstrap", "adapters.settings")
ALLOWED_ROUTES = ("adapters.http.routes", "adapters.http.deps", "adapters.http.auth",
                  "adapters.http.errors", "adapters.http.schemas", "adapters.http.job_tokens",
                  "adapters.http.dev_login", "adapters.http.portal", "adapters.settings")


def _wiring(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Per CLI or route module, the adapters it imports other than through the root."""
    found_wiring = {}
    for name, found in graph.items():
        if name.startswith("adapters.cli"):
            allowed = ALLOWED_CLI
        elif name.startswith(("adapters.http.routes", "adapters.http.portal")):
            allowed = ALLOWED_ROUTES
        else:
            continue
        found_wiring[name] = {d for d in found
                              if d.startswith("adapters") and not d.startswith(allowed)}
    return found_wiring


def test_entry_points_reach_concrete_adapters_only_through_the_composition_root():
    """The CLI commands and the HTTP routes do no wiring: concrete adapters (PKI,
    reader, Kafka, audit, backup, demo, the store) come from `adapters.bootstrap`."""
    wiring = _wiring(_imports())
    assert len(wiring) >= 10  # the CLI's modules and the routers were all looked at
    assert {name: found for name, found in wiring.items() if found} == {}


def test_the_entry_point_rule_catches_a_command_that_wires_an_adapter():
    graph = {"adapters.cli.cards": {"adapters.pki.ca", "adapters.bootstrap", "domain.card"},
             "adapters.http.routes.jobs": {"adapters.reader.agent", "adapters.http.deps"},
             "adapters.pki.ca": {"adapters.secrets"}}
    assert _wiring(graph) == {"adapters.cli.cards": {"adapters.pki.ca"},
                              "adapters.http.routes.jobs": {"adapters.reader.agent"}}
