"""The dependency rule, checked on the source: domain ← application ← infra / interfaces."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"domain", "application", "infra", "interfaces"}


def imports(layer: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


def test_the_layers_have_code() -> None:
    for layer in OURS:
        assert imports(layer), f"{layer}/ has no imports at all?"


def test_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    bad = [
        (where, module)
        for where, module in imports("domain")
        if module.split(".")[0] not in sys.stdlib_module_names
        and module != "eventsourcing.domain"
        and module.split(".")[0] != "domain"
    ]
    assert bad == []


@pytest.mark.parametrize(("layer", "forbidden"), [("application", {"infra", "interfaces"}), ("infra", {"interfaces"})])
def test_inner_layers_do_not_import_outer_ones(layer: str, forbidden: set[str]) -> None:
    assert [(w, m) for w, m in imports(layer) if m.split(".")[0] in forbidden] == []


def test_interfaces_reach_infra_only_through_the_wiring_function() -> None:
    bad = [(w, m) for w, m in imports("interfaces") if m.split(".")[0] == "infra" and m != "infra.wiring"]
    assert bad == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("interfaces/http", {"interfaces.web", "interfaces.app"}),
        ("interfaces/web", {"interfaces.http", "interfaces.app"}),
        ("interfaces/common", {"interfaces.http", "interfaces.web", "interfaces.app"}),
    ],
)
def test_the_api_and_the_pages_share_only_interfaces_common(package: str, forbidden: set[str]) -> None:
    """The API (http/) and the pages (web/) are siblings: what both need lives in common/, and only
    the app factory (interfaces/app.py) sees both."""
    bad = [(w, m) for w, m in imports(package) if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert bad == []


def test_controllers_reach_the_system_only_through_its_typed_desk() -> None:
    """The API and the pages see `application.desk.Desk` (use cases and views, typed), never the
    wired system with its database and settings: only the runtime module reads the app's state."""
    allowed = {"interfaces/common/runtime.py", "interfaces/app.py"}
    bad = [
        str(path.relative_to(ROOT))
        for package in ("interfaces/http", "interfaces/web", "interfaces/common")
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in allowed and ".state.system" in path.read_text()
    ]
    assert bad == []  # and `make test` type-checks interfaces/ strictly against that desk
