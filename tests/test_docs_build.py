"""The documentation site builds with ``mkdocs build --strict`` (a broken reference or link is
an error), and its API reference shows every public method of both clients: the methods of
``AsyncCosClient`` come from its operation families (inherited members), those of
``cos_sync.CosClient`` from its mirroring descriptors."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from cos_async import AsyncCosClient
from cos_sync import CosClient

ROOT = Path(__file__).resolve().parents[1]


def _public(cls: type) -> list[str]:
    return sorted(
        name
        for name in dir(cls)
        if not name.startswith("_")
        and (
            inspect.isfunction(inspect.getattr_static(cls, name))
            or hasattr(inspect.getattr_static(cls, name), "afn")
            or isinstance(inspect.getattr_static(cls, name), property)
        )
    )


@pytest.mark.slow
def test_the_site_builds_and_the_reference_shows_every_method(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for prefix, cls in (
        ("cos_async.AsyncCosClient", AsyncCosClient),
        ("cos_sync.CosClient", CosClient),
    ):
        names = _public(cls)
        assert len(names) > 80
        missing = [n for n in names if f'id="{prefix}.{n}"' not in html]
        assert not missing, f"{prefix}: not in the API reference: {missing}"
