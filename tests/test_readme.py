"""The Python examples of README.md, docs/quickstart.md, docs/observability.md and
docs/encryption.md run, unchanged, against a local server.

Every ```python block of each file is executed, in order, each in a fresh namespace, inside a
temporary working directory shared by the blocks of that file. The test fails if a block raises,
or if the number of blocks executed differs from the number of Python fences in the file (so a
block cannot be skipped by a typo in its fence).

The examples are written for real COS: ``CosConfig(region=..., secret_id="AKID...",
secret_key="...")``. The trick that lets them run here unchanged: while they run,
``cos_async.CosConfig`` and ``cos_sync.CosConfig`` are replaced by a function that returns a real
``CosConfig`` for the local server (its keys, its ``endpoint_url``), keeping the example's other
options (timeouts, retries, pool size...). ``from cos_async import CosConfig`` inside a block reads
that module attribute, so the block gets the function; the library itself bound the real class at
import time, so ``isinstance`` checks still pass. A config that already names an ``endpoint_url``
(the examples that start their own local server) is passed through untouched.

What the examples expect to exist is prepared here: the bucket ``photos-1250000000`` and a
``big.bin`` of 17 MiB (just above the 16 MiB part size, so ``upload_file`` / ``download_file`` take
their multipart and ranged paths; a real ``big.bin`` would be larger).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cos_async
import cos_sync
from cos_async.testing import LocalCosServer, ThreadedLocalCosServer
from tests.markdown_blocks import code_blocks

ROOT = Path(__file__).resolve().parents[1]
#: file -> the least number of Python blocks it must have (a guard against losing them all)
FILES = {
    "README.md": 4,
    "docs/quickstart.md": 8,
    "docs/observability.md": 3,
    "docs/encryption.md": 5,
}
EXAMPLE_BUCKETS = ("photos-1250000000",)
BIG_FILE_SIZE = 17 * 1024 * 1024

#: the options of CosConfig that choose the endpoint and the keys: replaced for the local server
_WHERE_AND_WHO = frozenset(
    {
        "region",
        "secret_id",
        "secret_key",
        "token",
        "credentials",
        "anonymous",
        "scheme",
        "endpoint_url",
        "domain",
        "endpoint",
        "accelerate",
        "domain_suffix",
        "internal",
    }
)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    return [
        (line, code)
        for line, info, code in code_blocks(path.read_text(encoding="utf-8"))
        if info.split()[:1] == ["python"]
    ]


def python_like_fences(path: Path) -> int:
    """Fences that look like Python (```python, ```py, ```python3, ```pycon...)."""
    return sum(
        1
        for _, info, _ in code_blocks(path.read_text(encoding="utf-8"))
        if info.lower().startswith("py")
    )


@pytest.fixture
def local_server() -> Iterator[ThreadedLocalCosServer]:
    with LocalCosServer.run_in_thread() as server:
        for name in EXAMPLE_BUCKETS:
            server.create_bucket(name)
        yield server


@pytest.fixture
def local_config(local_server: ThreadedLocalCosServer, monkeypatch: pytest.MonkeyPatch) -> None:
    real = cos_async.CosConfig

    def config_for_the_local_server(**options: Any) -> cos_async.CosConfig:
        if options.get("endpoint_url") is not None:
            return real(**options)  # already local
        kept = {k: v for k, v in options.items() if k not in _WHERE_AND_WHO}
        return real(
            region=local_server.region,
            secret_id=local_server.secret_id,
            secret_key=local_server.secret_key,
            endpoint_url=local_server.endpoint,
            **kept,
        )

    monkeypatch.setattr(cos_async, "CosConfig", config_for_the_local_server)
    monkeypatch.setattr(cos_sync, "CosConfig", config_for_the_local_server)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The logging examples configure logging; put it back as it was."""
    root, ours = logging.getLogger(), logging.getLogger("cos_async")
    handlers, root_level, our_level = list(root.handlers), root.level, ours.level
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(root_level)
        ours.setLevel(our_level)


@pytest.mark.parametrize("name", sorted(FILES))
def test_examples_run(
    name: str,
    local_config: None,
    restore_logging: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = ROOT / name
    blocks = python_blocks(path)
    assert len(blocks) >= FILES[name], f"{name}: expected at least {FILES[name]} python blocks"
    assert len(blocks) == python_like_fences(path), (
        f"{name}: every Python example must be fenced as ```python to be tested"
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.bin").write_bytes(bytes(range(256)) * (BIG_FILE_SIZE // 256))
    executed = 0
    for line, code in blocks:
        # pad with newlines so that a traceback names the line of the Markdown file
        compiled = compile("\n" * (line - 1) + code, str(path), "exec")
        namespace: dict[str, Any] = {"__name__": f"example_{line}"}
        try:
            exec(compiled, namespace)
        except BaseException as exc:
            raise AssertionError(f"{name}:{line}: the example raised {exc!r}") from exc
        executed += 1
    assert executed == len(blocks)
