"""The shape of the house (``design.md``, "Layers"), checked from the source: imports go
downward only and form no cycle, no class or module outgrows what a reader takes in, the client's
families define each public name once, transfers carry typed bundles (no ``dict[str, Any]``
option bags) and never call back up into the client, the local server stays a second,
independent implementation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cos_async import AsyncCosClient

ROOT = Path(__file__).resolve().parents[2]
MAX_CLASS_LINES = 800
MAX_MODULE_LINES = 1300

#: The client's layers, lowest first. A module may import from its own layer or a lower one.
LAYERS: list[tuple[str, set[str]]] = [
    ("primitives", {"_limits", "_errors", "_xml", "_crc64", "_signing", "_eventstream"}),
    # _config builds the default credentials provider, so _credentials sits below it; its only
    # loop-aware part is RefreshingCredentials' shared refresh
    (
        "models",
        {
            "_image_results",
            "_models",
            "_bucket_config",
            "_bucket_extras",
            "_select",
            "_retry",
            "_progress",
            "_credentials",
        },
    ),
    # _fetch: the async fetch task, checked with _validate's key rules
    ("checks", {"_validate", "_config", "_fetch"}),
    ("requests", {"_endpoint", "_image_rules", "_options"}),
    ("io", {"_body", "_transport", "_threaded"}),
    ("engine", {"_engine"}),
    ("operations", {"_ops"}),
    ("orchestration", {"_transfer"}),
    ("client", {"_client", "__init__"}),
    # client-side encryption over the client's engine, operations and transfers (cos_async.crypto)
    ("extensions", {"crypto"}),
    # built on the public client: the command line (cos_async.cli, python -m cos_async) and
    # the fsspec filesystem (cos_async.fs)
    ("integrations", {"cli", "__main__", "fs"}),
]
RANK = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}
#: what the local server may use of the client package: pure primitives, never its logic
SERVER_MAY_IMPORT = {"_signing", "_crc64", "_xml", "_eventstream", "_limits"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _dotted(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


KNOWN_MODULES = {_dotted(p) for p in sorted((ROOT / "cos_async").rglob("*.py"))} | {
    _dotted(p) for p in sorted((ROOT / "cos_sync").rglob("*.py"))
}


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports at run time (not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                submodules = [f"{module}.{a.name}" for a in node.names]
                known = [m for m in submodules if m in KNOWN_MODULES]
                # "from pkg import submodule" imports the submodule; "from pkg import name",
                # the package
                found.update(known if known else [module])
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(tree.body)
    return found


def _client_unit(module: str) -> str | None:
    """The layer unit of a ``cos_async`` module (``_ops``, ``_transfer`` count as one each)."""
    parts = module.split(".")
    if parts[0] != "cos_async" or len(parts) == 1:
        return "__init__" if module == "cos_async" else None
    if parts[1] == "testing":
        return None
    return parts[1]


CLIENT_MODULES = [p for p in _modules("cos_async") if "testing" not in p.parts]


@pytest.mark.parametrize("path", CLIENT_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downward(path: Path) -> None:
    unit = _client_unit(_dotted(path))
    assert unit in RANK, f"{path}: not in any layer of this test; place it"
    for imported in _imports(path):
        target = _client_unit(imported)
        if target is None or target not in RANK:
            continue
        assert RANK[target] <= RANK[unit], (
            f"{_dotted(path)} ({LAYERS[RANK[unit]][0]}) imports {imported} "
            f"({LAYERS[RANK[target]][0]}): imports go downward only"
        )


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    names = {_dotted(p) for p in _modules("cos_async") + _modules("cos_sync")}
    for path in _modules("cos_async") + _modules("cos_sync"):
        graph[_dotted(path)] = {m for m in _imports(path) if m in names} - {_dotted(path)}
    # a package's __init__ importing its own submodules is how packages are assembled
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not name.startswith(d + ".") or d == name}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if seen.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in seen:
                walk(dep)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            walk(node)


@pytest.mark.parametrize(
    "path", _modules("cos_async/testing"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_server_is_an_independent_implementation(path: Path) -> None:
    if path.name == "pytest_plugin.py":
        # The pytest plugin is glue, not the server: its cos_config / cos_client /
        # cos_sync_client fixtures hand tests the public client, imported inside the fixtures.
        return
    for imported in _imports(path):
        parts = imported.split(".")
        if parts[0] == "cos_sync" or imported == "cos_async":
            raise AssertionError(f"{path} imports the client package {imported}")
        if parts[0] == "cos_async" and len(parts) > 1 and parts[1] != "testing":
            assert parts[1] in SERVER_MAY_IMPORT, f"{path} imports the client's {imported}"


def test_aiohttp_is_imported_by_the_transport_alone() -> None:
    importers = {
        _dotted(p)
        for p in CLIENT_MODULES + _modules("cos_sync")
        if any(m == "aiohttp" or m.startswith("aiohttp.") for m in _imports(p))
    }
    assert importers == {"cos_async._transport"}


@pytest.mark.parametrize(
    "path", _modules("cos_async") + _modules("cos_sync"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_giant_class_or_module(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES, f"{path}: {text.count(chr(10))} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            size = node.end_lineno - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{path}: class {node.name} has {size} lines"


def test_the_client_is_assembled_from_families() -> None:
    families = [c for c in AsyncCosClient.__mro__[1:] if c.__module__.startswith("cos_async._")]
    assert len(families) >= 8
    owner: dict[str, str] = {}
    for family in families:
        for name in vars(family):
            if name.startswith("_") or name == "config":
                continue
            assert name not in owner, f"{name} is defined by {owner[name]} and {family.__name__}"
            owner[name] = family.__name__
    public = {n for n in dir(AsyncCosClient) if not n.startswith("_")}
    own = {n for n in vars(AsyncCosClient) if not n.startswith("_")}
    assert own <= {"aclose"}  # everything else comes from a family
    assert public - own - {"config"} == set(owner)


TRANSFER_MODULES = _modules("cos_async/_transfer")


#: records read from a checkpoint file (JSON), checked field by field where they are used
_JSON_RECORDS = {"header", "entries", "entry", "e"}


@pytest.mark.parametrize(
    # the checkpoint module reads and writes those JSON records
    "path",
    [p for p in TRANSFER_MODULES if p.name != "checkpoint.py"],
    ids=lambda p: p.name,
)
def test_transfers_carry_typed_bundles(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg in _JSON_RECORDS:
            continue
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            text = ast.unparse(node.annotation)
            assert "str, Any]" not in text, f"{path}: an option bag {text}"


@pytest.mark.parametrize(
    "path", [p for p in TRANSFER_MODULES if p.name != "api.py"], ids=lambda p: p.name
)
def test_transfers_never_call_the_client(path: Path) -> None:
    """The transfer functions call the typed operations sideways (object_store's upload.rs over
    MultipartStore); only ``api.py`` (the client's thin methods) knows the client."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"AsyncCosClient", "client", "cos"}
    assert not {m for m in _imports(path) if m.startswith(("cos_async._client", "cos_sync"))}


def test_the_layout_page_lists_these_layers() -> None:
    """docs/architecture.md's table is the LAYERS of this test, in order."""
    rows = [
        line
        for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith(("| layer", "| ---"))
    ]
    documented = [
        {name.strip("` /") for name in row.split("|")[2].split(",")} for row in rows[: len(LAYERS)]
    ]
    assert documented == [names for _, names in LAYERS]
