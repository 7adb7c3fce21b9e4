"""The pytest plugin (``cos_async.testing.pytest_plugin``): its fixtures, as a user's tests
see them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import cos_async
import cos_sync
from cos_async.testing import ThreadedLocalCosServer

FIXTURES = ["cos_server", "cos_bucket", "cos_config", "cos_client", "cos_sync_client"]


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a directory of its own (its own ini file: not this repository's)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_fixture_is_documented(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    result = pytest_in(tmp_path, "--fixtures")
    assert result.returncode == 0, result.stderr
    listing = result.stdout
    for name in FIXTURES:
        assert f"\n{name}" in listing, name
        after = listing.split(f"\n{name}", 1)[1].split("\n\n", 1)[0]
        assert "no docstring available" not in after, name
        assert len(after.splitlines()) >= 2, name  # a line of documentation under the name


def test_fixtures_in_a_users_tests(tmp_path: Path) -> None:
    # the way docs/testing.md shows it: pytest-asyncio in strict mode, async tests marked
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import pytest


            @pytest.mark.asyncio
            async def test_async(cos_client, cos_bucket):
                await cos_client.put_object(cos_bucket, "a.txt", b"async")
                body = await cos_client.get_object(cos_bucket, "a.txt")
                assert await body.read() == b"async"


            def test_sync(cos_sync_client, cos_bucket, cos_server):
                cos_sync_client.put_object(cos_bucket, "s.txt", b"sync")
                assert cos_sync_client.get_object(cos_bucket, "s.txt").read() == b"sync"
                assert cos_server.requests.count("PutObject", key="s.txt") == 1


            def test_config(cos_config, cos_server):
                assert cos_config.endpoint_url == cos_server.endpoint
                assert cos_config.secret_id == cos_server.secret_id
            """
        )
    )
    result = pytest_in(tmp_path, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_config_fixture(
    cos_config: cos_async.CosConfig, cos_server: ThreadedLocalCosServer
) -> None:
    assert cos_config.region == cos_server.region
    assert cos_config.endpoint_url == cos_server.endpoint


async def test_async_client_fixture(cos_client: cos_async.AsyncCosClient, cos_bucket: str) -> None:
    await cos_client.put_object(cos_bucket, "k", b"v")
    assert await (await cos_client.get_object(cos_bucket, "k")).read() == b"v"


def test_sync_client_fixture(cos_sync_client: cos_sync.CosClient, cos_bucket: str) -> None:
    cos_sync_client.put_object(cos_bucket, "k", b"v")
    assert cos_sync_client.get_object(cos_bucket, "k").read() == b"v"
