"""The documentation agrees with the code.

* docs/api.md has a ``::: package.Name`` line for every public name of ``cos_async``, ``cos_sync``,
  ``cos_async.testing``, ``cos_async.crypto`` and ``cos_sync.crypto`` (``__all__``, read now, so
  new names are demanded as they appear), and nothing else. ``cos_sync`` re-exports
  ``cos_async``'s classes (the same objects): for those, the ``cos_async`` line covers both.
* Every public class and function of the three packages, and every public method and property of
  ``AsyncCosClient`` and ``CosClient``, has a docstring (the API reference is built from them).
* docs/errors.md: the exception tree is the one of ``cos_async._errors``' docstring, and the
  tables of COS error codes and HTTP statuses are those of the real mapping (``_BY_CODE`` and
  ``service_error``); the retried codes are named in errors.md and configuration.md.
* Field tables (``CosConfig``, ``RetryConfig``, ``RequestEvent``, ``ResponseEvent``) list exactly
  the fields of the classes.
* docs/migration.md names only methods that exist: the official ones on ``qcloud_cos``'s
  ``CosS3Client``, ours on both ``AsyncCosClient`` and ``CosClient``.
* Every relative link (and anchor) of README.md and docs/*.md points to something that exists;
  mkdocs.yml's nav lists every page; every Python block of the docs compiles.

``tests/markdown_blocks.py`` has the small Markdown readers; the renderers of the generated parts
of errors.md are here (``error_tree``, ``error_code_rows``, ``error_status_rows``).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
import unicodedata
from pathlib import Path
from typing import Any

import attrs
import pytest

import cos_async
import cos_async.crypto
import cos_async.testing
import cos_sync
import cos_sync.crypto
from cos_async import _errors, _retry
from tests.markdown_blocks import code_blocks, code_spans, prose, table_rows

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
PACKAGES: dict[str, types.ModuleType] = {
    "cos_async": cos_async,
    "cos_sync": cos_sync,
    "cos_async.testing": cos_async.testing,
    "cos_async.crypto": cos_async.crypto,
    "cos_sync.crypto": cos_sync.crypto,
}


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def public_names(module: types.ModuleType) -> list[str]:
    return [name for name in module.__all__ if name != "__version__"]


# --- the API reference ------------------------------------------------------------------------


def api_directives() -> list[str]:
    return re.findall(r"^::: *([\w.]+) *$", read("docs/api.md"), re.MULTILINE)


def test_every_public_name_is_in_the_api_reference() -> None:
    documented = set(api_directives())
    # re-exports (cos_sync's classes, cos_sync.crypto's providers, DecryptionError) are the
    # same objects as the names documented once elsewhere
    documented_objects = [
        getattr(PACKAGES[package], name, None)
        for package, _, name in (path.rpartition(".") for path in documented)
        if package in PACKAGES
    ]
    missing = []
    for package, module in PACKAGES.items():
        for name in public_names(module):
            if f"{package}.{name}" in documented:
                continue
            if any(getattr(module, name) is obj for obj in documented_objects):
                continue  # the same object, documented once under another package
            missing.append(f"::: {package}.{name}")
    assert not missing, "docs/api.md lacks:\n" + "\n".join(missing)


def test_the_api_reference_names_only_public_names() -> None:
    directives = api_directives()
    assert len(directives) == len(set(directives)), "a name is documented twice"
    for path in directives:
        package, _, name = path.rpartition(".")
        assert package in PACKAGES, f"::: {path}: not one of {sorted(PACKAGES)}"
        assert name in PACKAGES[package].__all__, f"::: {path}: not in {package}.__all__"


# --- docstrings -------------------------------------------------------------------------------


def _own_doc(obj: object) -> str:
    if isinstance(obj, type):
        return obj.__dict__.get("__doc__") or ""
    return getattr(obj, "__doc__", None) or ""


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_public_classes_and_functions_have_docstrings(package: str) -> None:
    module = PACKAGES[package]
    missing = [
        name
        for name in public_names(module)
        if (inspect.isclass(getattr(module, name)) or inspect.isfunction(getattr(module, name)))
        and not _own_doc(getattr(module, name)).strip()
    ]
    assert not missing, f"{package}: no docstring: {', '.join(missing)}"


def _member_docs(cls: type) -> dict[str, str]:
    """Public methods, properties and mirrored methods of ``cls``, with their docstrings."""
    docs: dict[str, str] = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            docs[name] = (attr.fget.__doc__ if attr.fget else None) or ""
        elif isinstance(attr, staticmethod | classmethod):
            docs[name] = attr.__func__.__doc__ or ""
        elif inspect.isfunction(attr) or hasattr(attr, "afn"):  # cos_sync's mirrors
            docs[name] = attr.__doc__ or ""
    return docs


@pytest.mark.parametrize("cls", [cos_async.AsyncCosClient, cos_sync.CosClient], ids=str)
def test_client_methods_have_docstrings(cls: type) -> None:
    docs = _member_docs(cls)
    assert len(docs) > 40
    missing = sorted(name for name, doc in docs.items() if not doc.strip())
    assert not missing, f"{cls.__qualname__}: no docstring: {', '.join(missing)}"


# --- errors.md: generated from the code -------------------------------------------------------


def error_tree() -> str:
    """The exception tree drawn in the docstring of cos_async._errors."""
    doc = _errors.__doc__ or ""
    start = doc.index("::\n\n") + len("::\n\n")
    end = doc.index("\n\n", start)
    return textwrap.dedent(doc[start:end])


def _builtin(cls: type) -> str:
    for base in cls.__mro__[1:]:
        if base.__module__ == "builtins" and base not in (Exception, BaseException, object):
            return f"`{base.__name__}`"
    return ""


def error_code_rows() -> list[str]:
    rows = ["| COS error code | raised as | also a |", "| --- | --- | --- |"]
    for code, cls in _errors._BY_CODE.items():
        rows.append(f"| `{code}` | `{cls.__name__}` | {_builtin(cls)} |".replace(" |  |", " | |"))
    return rows


def _class_for_status(status: int) -> type:
    return type(_errors.service_error(status=status, code="NotACosErrorCode"))


def error_status_rows() -> list[str]:
    rows = ["| HTTP status (code not in the table) | raised as |", "| --- | --- |"]
    for status in range(100, 600):
        cls = _class_for_status(status)
        if cls is not cos_async.CosServiceError:
            rows.append(f"| {status} | `{cls.__name__}` |")
    rows.append("| any other | `CosServiceError` |")
    return rows


def generated_block(text: str, name: str) -> str:
    m = re.search(rf"<!-- BEGIN {name} -->\n\n(.*?)\n\n<!-- END {name} -->", text, re.DOTALL)
    assert m is not None, f"docs/errors.md has no {name} block"
    return m.group(1)


def test_errors_md_tree_is_the_code_tree() -> None:
    block = generated_block(read("docs/errors.md"), "exception-tree")
    assert block == "```text\n" + error_tree() + "\n```"


def test_errors_md_code_table_is_the_mapping() -> None:
    block = generated_block(read("docs/errors.md"), "error-code-table")
    assert block == "\n".join(error_code_rows())
    # and, read back independently, it is the mapping itself
    documented = {
        code_spans(code)[0]: code_spans(cls)[0]
        for code, cls, _ in table_rows(read("docs/errors.md"), "| COS error code |")
    }
    assert documented == {code: cls.__name__ for code, cls in _errors._BY_CODE.items()}


def test_errors_md_status_table_is_the_fallback() -> None:
    block = generated_block(read("docs/errors.md"), "error-status-table")
    assert block == "\n".join(error_status_rows())
    for status, cls in table_rows(read("docs/errors.md"), "| HTTP status (code not in"):
        if status.isdigit():
            assert _class_for_status(int(status)).__name__ == code_spans(cls)[0]
    assert _class_for_status(400) is cos_async.CosServiceError
    assert _class_for_status(500) is cos_async.CosServiceError


def test_errors_md_special_cases_hold() -> None:
    expired = _errors.service_error(status=403, code="AccessDenied", message="Request has expired")
    assert type(expired) is cos_async.RequestExpired
    assert "`RequestExpired`" in read("docs/errors.md")


@pytest.mark.parametrize("page", ["docs/errors.md", "docs/configuration.md"])
def test_retried_codes_are_documented(page: str) -> None:
    text = read(page)
    missing = [code for code in sorted(_retry._RETRY_CODES) if f"`{code}`" not in text]
    assert not missing, f"{page} does not name the retried codes {missing}"


# --- field tables -----------------------------------------------------------------------------


def _first_column(page: str, header_start: str) -> set[str]:
    return {
        name
        for row in table_rows(read(page), header_start)
        for name in code_spans(row[0])
        if re.fullmatch(r"[a-z_]+", name)
    }


@pytest.mark.parametrize(
    ("page", "header", "cls"),
    [
        ("docs/configuration.md", "| field | default |", cos_async.CosConfig),
        ("docs/configuration.md", "| `RetryConfig` field |", cos_async.RetryConfig),
        ("docs/observability.md", "| `RequestEvent` field |", cos_async.RequestEvent),
    ],
)
def test_field_tables_list_the_fields(page: str, header: str, cls: Any) -> None:
    assert _first_column(page, header) == {f.name for f in attrs.fields(cls)}


def test_response_event_table_lists_the_added_fields() -> None:
    added = {f.name for f in attrs.fields(cos_async.ResponseEvent)} - {
        f.name for f in attrs.fields(cos_async.RequestEvent)
    }
    assert _first_column("docs/observability.md", "| `ResponseEvent` field |") == added


# --- migration.md: the methods it names exist -------------------------------------------------


def _migration_method_rows() -> list[list[str]]:
    text = read("docs/migration.md")
    section = text[text.index("\n## Methods") : text.index("\n## Behaviours that differ")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and not set(cells[0]) <= {"-", " "}:
            rows.append(cells)
    return rows


def _called(cell: str) -> list[str]:
    return re.findall(r"`([a-z][a-z0-9_]*)\(", cell)


def test_migration_names_our_methods() -> None:
    ours = {name for _, cell in _migration_method_rows() for name in _called(cell)}
    assert len(ours) > 60
    for cls in (cos_async.AsyncCosClient, cos_sync.CosClient):
        missing = sorted(name for name in ours if not hasattr(cls, name))
        assert not missing, f"docs/migration.md names methods {cls.__name__} lacks: {missing}"


def test_migration_names_official_methods() -> None:
    qcloud_cos = pytest.importorskip("qcloud_cos")
    official = {name for cell, _ in _migration_method_rows() for name in _called(cell)}
    assert len(official) > 60
    missing = sorted(name for name in official if not hasattr(qcloud_cos.CosS3Client, name))
    assert not missing, f"docs/migration.md names methods qcloud_cos lacks: {missing}"


# --- links, nav, code -------------------------------------------------------------------------

_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _slug(heading: str) -> str:
    """Python-Markdown's toc slug (what mkdocs makes anchors of)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(path: Path) -> set[str]:
    text = prose(path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)}


def _links(path: Path) -> list[str]:
    text = prose(path.read_text(encoding="utf-8"))
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code
    return _LINK.findall(text)


def test_pages_were_found() -> None:
    names = {p.name for p in PAGES}
    assert {"README.md", "index.md", "quickstart.md", "api.md", "errors.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # https:, mailto:...
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_mkdocs_nav_lists_every_page() -> None:
    config = read("mkdocs.yml")
    nav = re.findall(r"^\s*-\s+[^:\n]+:\s*(\S+\.md)\s*$", config, re.MULTILINE)
    assert sorted(nav) == sorted(p.name for p in DOCS.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_compile(page: Path) -> None:
    for line, info, code in code_blocks(page.read_text(encoding="utf-8")):
        if info.split()[:1] == ["python"]:
            try:
                compile(code, f"{page.name}:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            except SyntaxError as exc:
                raise AssertionError(f"{page.name}:{line}: {exc}") from exc


def test_code_blocks_parser() -> None:
    text = "a\n```python\nx = 1\n```\n\n````markdown\n```python\nnot a block\n```\n````\n~~~bash\nls\n~~~\n"
    assert code_blocks(text) == [
        (3, "python", "x = 1\n"),
        (7, "markdown", "```python\nnot a block\n```\n"),
        (12, "bash", "ls\n"),
    ]
    assert "not a block" not in prose(text)
    assert prose(text).count("\n") == text.count("\n") - 1
