"""The pytest plugin's ``cos://`` fixtures (``cos_storage_options``, ``cos_fs``) as a user's
tests see them: documented, and working in a project of its own with
warnings as errors (pandas reading and writing through them)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cos_async.testing import pytest_plugin

FIXTURES = ["cos_storage_options", "cos_fs"]


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_fixtures_are_documented() -> None:
    source = Path(pytest_plugin.__file__).read_text(encoding="utf-8")
    functions = {
        node.name: ast.get_docstring(node) or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef)
    }
    for name in FIXTURES:
        assert len(functions[name]) > 40, name
        assert f"``{name}``" in (pytest_plugin.__doc__ or ""), name


def test_a_users_pipeline_test(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    (tmp_path / "test_pipeline.py").write_text(
        textwrap.dedent(
            """
            import pandas as pd


            def test_my_pipeline(cos_bucket, cos_storage_options, cos_fs):
                url = f"cos://{cos_bucket}/in.csv"
                cos_fs.pipe_file(url, b"city,amount\\nguangzhou,1\\nguangzhou,2\\n")
                df = pd.read_csv(url, storage_options=cos_storage_options)
                out = df.groupby("city").sum()
                out.to_parquet(f"cos://{cos_bucket}/out.parquet", storage_options=cos_storage_options)
                assert cos_fs.exists(f"{cos_bucket}/out.parquet")
                assert out.loc["guangzhou", "amount"] == 3
            """
        )
    )
    result = pytest_in(tmp_path, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
