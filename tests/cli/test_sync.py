"""``cos-async sync``: what differs moves, what has the same size and CRC-64 does not; --delete
and --dry-run; in both directions. What moved is read from the server's request log."""

from __future__ import annotations

import os
from pathlib import Path

from cos_async.testing import Operation, ThreadedLocalCosServer
from cos_sync import CosClient

from .conftest import Cli
from .test_commands import FILES, keys, tree

WRITES = (Operation.PutObject, Operation.UploadPart, Operation.InitiateMultipartUpload)


def writes(server: ThreadedLocalCosServer, bucket: str) -> int:
    return sum(server.requests.count(op, bucket=bucket) for op in WRITES)


def test_upload_sync_twice_second_moves_nothing(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    files = {**FILES, "big.bin": os.urandom(3 * 1024 * 1024)}
    tree(cli.cwd / "site", files)
    first = cli("sync", "--part-size", "1MiB", "site", f"cos://{bucket}/www")
    assert first.returncode == 0, first.stderr
    assert keys(cos, bucket) == sorted(f"www/{rel}" for rel in files)
    assert len(first.stdout.splitlines()) == len(files)
    before = writes(server, bucket)
    second = cli("sync", "--part-size", "1MiB", "site", f"cos://{bucket}/www")
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert f"{len(files)} unchanged" in second.stderr
    assert writes(server, bucket) == before
    # one file changes, with its size unchanged: the CRC-64 tells
    (cli.cwd / "site" / "a.txt").write_bytes(b"ALPHA\n")
    third = cli("sync", "site", f"cos://{bucket}/www")
    assert third.stdout == f"upload: site/a.txt -> cos://{bucket}/www/a.txt\n"
    assert cos.get_object(bucket, "www/a.txt").read() == b"ALPHA\n"


def test_upload_sync_delete_and_dry_run(cli: Cli, bucket: str, cos: CosClient) -> None:
    tree(cli.cwd / "site", FILES)
    assert cli("sync", "site", f"cos://{bucket}/www").returncode == 0
    cos.put_object(bucket, "www/stale.txt", b"old")
    cos.put_object(bucket, "www-other/keep.txt", b"not in the directory")
    (cli.cwd / "site" / "b.log").unlink()
    (cli.cwd / "site" / "new.txt").write_bytes(b"new")
    dry = cli("sync", "--delete", "--dry-run", "site", f"cos://{bucket}/www/")
    assert dry.returncode == 0, dry.stderr
    assert sorted(dry.stdout.splitlines()) == [
        f"(dry run) delete: cos://{bucket}/www/b.log",
        f"(dry run) delete: cos://{bucket}/www/stale.txt",
        f"(dry run) upload: site/new.txt -> cos://{bucket}/www/new.txt",
    ]
    assert "www/stale.txt" in keys(cos, bucket)
    assert "www/new.txt" not in keys(cos, bucket)
    done = cli("sync", "--delete", "site", f"cos://{bucket}/www/")
    assert done.returncode == 0, done.stderr
    assert keys(cos, bucket) == [
        "www-other/keep.txt",
        "www/a.txt",
        "www/new.txt",
        "www/sub/c.txt",
        "www/sub/deeper/d.bin",
    ]


def test_download_sync_twice_and_delete(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    for rel, data in FILES.items():
        cos.put_object(bucket, f"data/{rel}", data)
    first = cli("sync", f"cos://{bucket}/data", "local")
    assert first.returncode == 0, first.stderr
    for rel, data in FILES.items():
        assert (cli.cwd / "local" / rel).read_bytes() == data
    gets = server.requests.count(Operation.GetObject, bucket=bucket)
    second = cli("sync", f"cos://{bucket}/data", "local")
    assert second.returncode == 0
    assert second.stdout == ""
    assert server.requests.count(Operation.GetObject, bucket=bucket) == gets
    (cli.cwd / "local" / "extra.txt").write_bytes(b"only here")
    (cli.cwd / "local" / "sub" / "c.txt").write_bytes(b"CHARLIE\n")  # same size, other bytes
    third = cli("sync", "--delete", "--exclude", "*.log", f"cos://{bucket}/data", "local")
    assert third.returncode == 0, third.stderr
    assert sorted(third.stdout.splitlines()) == [
        f"delete: {Path('local') / 'extra.txt'}",
        f"download: cos://{bucket}/data/sub/c.txt -> {Path('local') / 'sub' / 'c.txt'}",
    ]
    assert not (cli.cwd / "local" / "extra.txt").exists()
    assert (cli.cwd / "local" / "sub" / "c.txt").read_bytes() == FILES["sub/c.txt"]
    assert (cli.cwd / "local" / "b.log").exists()  # excluded: neither fetched nor deleted
