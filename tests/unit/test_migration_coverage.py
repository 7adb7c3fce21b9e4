"""docs/migration.md's coverage table cannot go stale: it lists every public method of the
installed official SDK's ``CosS3Client`` (but the families it says it leaves out), each once;
the cos-async methods it names exist on both clients; a row without one states a reason; and the
test it cites for a row exists."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import cos_async
import cos_sync
from tests.markdown_blocks import table_rows

qcloud_cos = pytest.importorskip("qcloud_cos")

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = ROOT / "docs" / "migration.md"
HEADER = "| official `CosS3Client` |"

#: left out of the table, as the page says: live channels and data processing (``ci_*`` too)
LIVE_CHANNELS = {
    "put_live_channel",
    "get_rtmp_signed_url",
    "get_live_channel_info",
    "put_live_channel_switch",
    "get_live_channel_history",
    "get_live_channel_status",
    "delete_live_channel",
    "get_vod_playlist",
    "post_vod_playlist",
    "list_live_channel",
}
DATA_PROCESSING = {
    "get_object_sensitive_content_recognition",
    "get_media_info",
    "get_snapshot",
    "get_pm3u8",
    "file_hash",
}


def official_methods() -> list[str]:
    """The public methods of the installed ``CosS3Client`` that the table must list."""
    return [
        name
        for name, member in vars(qcloud_cos.CosS3Client).items()
        if inspect.isfunction(member)
        and not name.startswith("_")
        and not name.startswith("ci_")
        and name not in LIVE_CHANNELS | DATA_PROCESSING
    ]


def rows() -> list[tuple[str, str, str]]:
    text = MIGRATION.read_text(encoding="utf-8")
    found = []
    for cells in table_rows(text, HEADER):
        assert len(cells) == 3, cells
        official, ours, test = cells
        (name,) = re.fullmatch(r"`([a-z_0-9]+)`", official).groups()  # type: ignore[union-attr]
        found.append((name, ours, test))
    return found


def test_the_table_lists_every_official_method_once() -> None:
    listed = [name for name, _, _ in rows()]
    assert len(listed) == len(set(listed)), "a method is listed twice"
    expected = official_methods()
    assert len(expected) >= 100
    missing = sorted(set(expected) - set(listed))
    extra = sorted(set(listed) - set(expected))
    assert not missing, f"docs/migration.md's coverage table lacks {missing}"
    assert not extra, f"docs/migration.md's coverage table lists what CosS3Client lacks: {extra}"


def test_the_left_out_methods_are_named_on_the_page() -> None:
    text = MIGRATION.read_text(encoding="utf-8")
    section = text[text.index("## Coverage of the official SDK") : text.index(HEADER)]
    for name in sorted(LIVE_CHANNELS | DATA_PROCESSING):
        assert f"`{name}`" in section, name
    assert "`ci_*`" in section
    present = set(vars(qcloud_cos.CosS3Client))
    assert present >= LIVE_CHANNELS | DATA_PROCESSING, "a left-out method is gone: update both"


def test_each_row_names_existing_methods_or_a_reason() -> None:
    for official, ours, _ in rows():
        if ours.startswith("—"):
            assert len(ours) > 20, f"{official}: a reason, please: {ours!r}"
            continue
        names = re.findall(r"`([a-z_][a-z0-9_]*)`", ours)
        assert names, f"{official}: no cos-async method in {ours!r}"
        for cls in (cos_async.AsyncCosClient, cos_sync.CosClient):
            missing = [n for n in names if not hasattr(cls, n)]
            assert not missing, f"{official}: {cls.__name__} lacks {missing}"


def _tests_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_each_row_cites_a_test_that_exists() -> None:
    for official, _, cited in rows():
        m = re.fullmatch(r"`(tests/[\w/]+\.py)::(test_\w+)(?:\[([\w-]+)\])?`", cited)
        assert m, f"{official}: not a test id: {cited!r}"
        path, function, param = m.groups()
        file = ROOT / path
        assert file.is_file(), f"{official}: no file {path}"
        assert function in _tests_of(file), f"{official}: {path} has no {function}"
        if param is not None:
            assert f'"{param}"' in file.read_text(encoding="utf-8"), f"{official}: [{param}]"
