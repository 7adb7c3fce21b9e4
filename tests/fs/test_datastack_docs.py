"""docs/datastack.md runs: its Python blocks, in order, in one namespace (the first starts a
local server and defines ``options``; the others use them), in a temporary directory. The
pipeline test the page shows is then called with the page's server, bucket and filesystem."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.markdown_blocks import code_blocks

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "datastack.md"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_data_stack_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("pandas", "pyarrow", "dask.distributed", "ray"):
        pytest.importorskip(module)
    fences = [
        (line, code)
        for line, info, code in code_blocks(PAGE.read_text(encoding="utf-8"))
        if info.lower().startswith("py")
    ]
    assert len(fences) >= 7
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "datastack_page"}
    try:
        for line, code in fences[:-1]:  # the last block stops the server: after the call below
            compiled = compile("\n" * (line - 1) + code, str(PAGE), "exec")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Dask's and Ray's start-up chatter
                exec(compiled, namespace)
        assert "test_my_pipeline" in namespace
        from cos_async.fs import CosFileSystem

        fs = CosFileSystem(**namespace["options"], skip_instance_cache=True)
        try:
            namespace["test_my_pipeline"]("examplebucket-1250000000", namespace["options"], fs)
        finally:
            fs.close()
    finally:
        line, code = fences[-1]
        assert code.strip().startswith("server.stop()")
        exec(compile("\n" * (line - 1) + code, str(PAGE), "exec"), namespace)
