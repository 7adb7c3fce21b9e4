"""The control API under ``/_cos_testing/`` and the ``python -m cos_async.testing`` CLI."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cos_async.testing import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, LocalCosServer
from cos_async.testing.__main__ import _parser
from tests.cos_http import CosHttp

REPO_ROOT = Path(__file__).resolve().parents[2]
ENDPOINT_LINE = re.compile(r"^local COS server listening on (http://\S+)$")


async def control(
    session: aiohttp.ClientSession,
    server: LocalCosServer,
    method: str,
    what: str,
    **kwargs: Any,
) -> tuple[int, Any]:
    url = f"{server.endpoint}/_cos_testing/{what}"
    async with session.request(method, url, **kwargs) as resp:
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


# --- control API ------------------------------------------------------------------------------


async def test_health(server: LocalCosServer, session: aiohttp.ClientSession) -> None:
    status, body = await control(session, server, "GET", "health")
    assert status == 200
    assert body == {"ok": True}
    # control requests need no signature and are not in the request log
    assert server.requests.records() == []


async def test_create_bucket(
    server: LocalCosServer, session: aiohttp.ClientSession, http: CosHttp
) -> None:
    name = "made-by-control-1250000000"
    status, body = await control(session, server, "POST", "buckets", json={"name": name})
    assert status == 200
    assert body == {"name": name}
    assert name in server.store.buckets
    assert (await http.request("HEAD", name)).status == 200
    assert (await http.request("PUT", name, "k", data=b"in new bucket")).status == 200
    # creating it again is harmless and keeps the contents
    status, body = await control(session, server, "POST", "buckets", json={"name": name})
    assert status == 200
    assert (await http.request("GET", name, "k")).body == b"in new bucket"
    # the bucket is private
    assert (await http.request("GET", name, "k", signed=False)).status == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "No_Upper-1250000000"},
        {"name": "missing-appid"},
        {"name": "-leading-dash-1250000000"},
        {"name": ""},
        {"name": 42},
        {},
        ["not", "an", "object"],
    ],
)
async def test_create_bucket_invalid_name(
    server: LocalCosServer, session: aiohttp.ClientSession, payload: Any
) -> None:
    status, body = await control(session, server, "POST", "buckets", json=payload)
    assert status == 400
    assert "invalid bucket name" in body["error"]
    assert list(server.store.buckets) == []


async def test_create_bucket_name_too_long(
    server: LocalCosServer, session: aiohttp.ClientSession, http: CosHttp
) -> None:
    # the S3 API answers InvalidBucketName for names over 60 characters; so must the control API
    name = "a" * 55 + "-1250000000"
    assert len(name) > 60
    status, body = await control(session, server, "POST", "buckets", json={"name": name})
    assert status == 400
    assert "invalid bucket name" in body["error"]
    assert name not in server.store.buckets
    reply = await http.request("PUT", name, "k", data=b"x")
    assert reply.status == 400
    assert reply.code == "InvalidBucketName"


async def test_create_bucket_malformed_json(
    server: LocalCosServer, session: aiohttp.ClientSession
) -> None:
    status, body = await control(session, server, "POST", "buckets", data=b"{name:")
    assert status == 400
    assert "error" in body
    assert list(server.store.buckets) == []


@pytest.mark.parametrize(
    ("method", "what"),
    [
        ("GET", "nothing-here"),
        ("POST", "health/extra"),
        ("PATCH", "faults"),
        ("GET", "buckets"),
        ("PUT", "requests"),
    ],
)
async def test_unknown_control_endpoint(
    server: LocalCosServer, session: aiohttp.ClientSession, method: str, what: str
) -> None:
    status, body = await control(session, server, method, what)
    assert status == 404
    assert "unknown control endpoint" in body["error"]
    assert what in body["error"]


async def test_delete_fault_bad_id(server: LocalCosServer, session: aiohttp.ClientSession) -> None:
    rule_id = server.faults.add(action="error")
    status, body = await control(session, server, "DELETE", "faults/abc")
    assert status == 400
    assert "abc" in body["error"]
    # removing an unknown id is harmless
    status, _ = await control(session, server, "DELETE", "faults/9999")
    assert status == 200
    assert [a["id"] for a in server.faults.snapshot()] == [rule_id]


# --- the CLI ----------------------------------------------------------------------------------


class CliServer:
    def __init__(self, proc: asyncio.subprocess.Process, endpoint: str, banner: list[str]) -> None:
        self.proc = proc
        self.endpoint = endpoint
        self.banner = banner

    async def interrupt(self) -> int:
        """SIGINT, then the exit status (within 10 s)."""
        self.proc.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.proc.wait(), 10)


@asynccontextmanager
async def cli(*args: str) -> AsyncIterator[CliServer]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cos_async.testing",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        if not first:
            assert proc.stderr is not None
            err = await asyncio.wait_for(proc.stderr.read(), 30)
            pytest.fail(f"the CLI printed nothing; stderr: {err.decode()}")
        match = ENDPOINT_LINE.match(first)
        assert match is not None, first
        banner = [first]
        while not banner[-1].startswith("secret key:"):  # the banner's last line
            banner.append((await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip())
        yield CliServer(proc, match.group(1), banner)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


def cli_http(endpoint: str, session: aiohttp.ClientSession) -> CosHttp:
    return CosHttp(endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, session)


async def test_cli_serves_and_exits_on_sigint(session: aiohttp.ClientSession) -> None:
    bucket = "cli-bucket-1250000000"
    async with cli("--bucket", bucket) as srv:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", srv.endpoint)
        assert not srv.endpoint.endswith(":0")
        assert f"secret id:  {DEFAULT_SECRET_ID}" in srv.banner
        # the well-known test key is printed: a client needs it (see tests/server/test_cli.py)
        assert f"secret key: {DEFAULT_SECRET_KEY}" in srv.banner
        http = cli_http(srv.endpoint, session)
        put = await http.request("PUT", bucket, "hello.txt", data=b"from the CLI")
        assert put.status == 200
        got = await http.request("GET", bucket, "hello.txt")
        assert got.status == 200
        assert got.body == b"from the CLI"
        # and it checks signatures
        wrong = CosHttp(srv.endpoint, DEFAULT_SECRET_ID, "not-the-key", session)
        assert (await wrong.request("GET", bucket, "hello.txt")).code == "SignatureDoesNotMatch"
        assert await srv.interrupt() == 0


async def test_cli_custom_credentials(session: aiohttp.ClientSession) -> None:
    bucket = "creds-1250000000"
    async with cli(
        "--secret-id", "AKIDcliCustom", "--secret-key", "cli-secret", "--token", "t0k",
        "--bucket", bucket,
    ) as srv:  # fmt: skip
        assert "secret id:  AKIDcliCustom" in srv.banner
        assert "cli-secret" not in "\n".join(srv.banner)
        good = CosHttp(srv.endpoint, "AKIDcliCustom", "cli-secret", session, token="t0k")
        assert (await good.request("PUT", bucket, "k", data=b"x")).status == 200
        default = cli_http(srv.endpoint, session)
        assert (await default.request("GET", bucket, "k")).code == "InvalidAccessKeyId"
        assert await srv.interrupt() == 0


async def test_cli_secret_id_without_key_fails() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cos_async.testing",
        "--port",
        "0",
        "--secret-id",
        "AKIDalone",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode != 0
    assert b"--secret-id and --secret-key go together" in err
    assert b"listening" not in out


async def test_cli_data_dir_survives_restart(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    bucket = "persisted-1250000000"
    data_dir = str(tmp_path / "cos-data")
    payload = bytes(range(256)) * 100
    async with cli("--data-dir", data_dir, "--bucket", bucket) as first:
        http = cli_http(first.endpoint, session)
        assert (await http.request("PUT", bucket, "kept/obj.bin", data=payload)).status == 200
        assert (
            await http.request(
                "PUT", bucket, "meta", data=b"m", headers={"x-cos-meta-colour": "blue"}
            )
        ).status == 200
        assert await first.interrupt() == 0

    # --bucket of an existing bucket is fine on the second start
    async with cli("--data-dir", data_dir, "--bucket", bucket) as second:
        http = cli_http(second.endpoint, session)
        got = await http.request("GET", bucket, "kept/obj.bin")
        assert got.status == 200
        assert got.body == payload
        meta = await http.request("HEAD", bucket, "meta")
        assert meta.status == 200
        assert meta.headers["x-cos-meta-colour"] == "blue"
        listing = (await http.request("GET", bucket)).xml()["ListBucketResult"]
        assert sorted(c["Key"] for c in listing["Contents"]) == ["kept/obj.bin", "meta"]
        assert await second.interrupt() == 0


async def test_cli_without_data_dir_forgets(session: aiohttp.ClientSession) -> None:
    bucket = "ephemeral-1250000000"
    async with cli("--bucket", bucket) as first:
        http = cli_http(first.endpoint, session)
        assert (await http.request("PUT", bucket, "k", data=b"x")).status == 200
        assert await first.interrupt() == 0
    async with cli("--bucket", bucket) as second:
        http = cli_http(second.endpoint, session)
        assert (await http.request("HEAD", bucket, "k")).status == 404
        assert await second.interrupt() == 0


def test_cli_help_lists_options() -> None:
    help_text = _parser().format_help()
    for option in ("--host", "--port", "--data-dir", "--bucket", "--secret-id", "--token"):
        assert option in help_text
