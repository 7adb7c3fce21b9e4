"""The Python examples of docs/image-processing.md run, unchanged, against a local server (as
tests/test_readme.py runs the README's: ``CosConfig`` is pointed at the local server while they
run). What they expect is prepared here: the bucket ``photos-1250000000`` and a ``photo.jpg``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.test_readme import (  # the same machinery as the README's examples
    ROOT,
    local_config,
    local_server,
    python_blocks,
    python_like_fences,
)

__all__ = ["local_config", "local_server"]  # fixtures, used by name

PAGE = ROOT / "docs" / "image-processing.md"


def test_the_image_processing_examples_run(
    local_config: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = python_blocks(PAGE)
    assert len(blocks) >= 4
    assert len(blocks) == python_like_fences(PAGE)
    monkeypatch.chdir(tmp_path)
    photo = Image.new("RGB", (400, 300))
    photo.putdata([(x % 256, y % 256, 90) for y in range(300) for x in range(400)])
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=85)
    (tmp_path / "photo.jpg").write_bytes(buf.getvalue())
    for line, code in blocks:
        compiled = compile("\n" * (line - 1) + code, str(PAGE), "exec")
        namespace: dict[str, Any] = {"__name__": f"example_{line}"}
        try:
            exec(compiled, namespace)
        except BaseException as exc:
            raise AssertionError(f"{PAGE.name}:{line}: the example raised {exc!r}") from exc
    with Image.open(tmp_path / "photo.avif") as avif:
        assert (avif.format, avif.size) == ("AVIF", (400, 300))
