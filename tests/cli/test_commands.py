"""Every command of ``cos-async``, run as a subprocess against the local server; what it did is
checked with a separate client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from cos_async.testing import ThreadedLocalCosServer
from cos_sync import CosClient

from .conftest import BOUND, CONSOLE, Cli, InProcess, one_line_error


def keys(cos: CosClient, bucket: str, prefix: str = "") -> list[str]:
    return [o.key for o in cos.list_objects(bucket, prefix=prefix)]


def tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


FILES = {
    "a.txt": b"alpha\n",
    "b.log": b"bravo " * 100,
    "sub/c.txt": b"charlie\n",
    "sub/deeper/d.bin": os.urandom(3000),
}


def test_help_version_and_python_m(cli: Cli) -> None:
    r = cli("--help")
    assert r.returncode == 0
    for command in ("ls", "cp", "sync", "mv", "rm", "cat", "stat", "du", "mb", "rb", "presign"):
        assert f"    {command} " in r.stdout
    assert "serve" in r.stdout
    version = cli("--version")
    assert version.returncode == 0
    assert re.fullmatch(r"cos-async \S+\n", version.stdout)
    as_module = subprocess.run(
        [sys.executable, "-m", "cos_async", "--version"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=cli.env,
        check=False,
    )
    assert as_module.returncode == 0
    assert as_module.stdout == version.stdout


BAD_USAGE = [
    ([], "usage:"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["cp"], "the following arguments are required: SRC, DST"),
    (["cp", "a", "b"], "must be a cos:// path"),
    (["ls", "cos://Not_A_Bucket/x"], "the bucket must be <name>-<appid>"),
    (["ls", "s3://bucket/x"], "unknown scheme s3://"),
    (["cp", "--part-size", "1KiB", "f", "cos://b-1250000000/k"], "--part-size must be"),
    (["cp", "--part-size", "lots", "f", "cos://b-1250000000/k"], "not a size: 'lots'"),
    (["cp", "--jobs", "0", "f", "cos://b-1250000000/k"], "--jobs must be 1 to 256"),
    (["cp", "--metadata", "novalue", "f", "cos://b-1250000000/k"], "KEY=VALUE"),
    (["cp", "--storage-class", "GOLD", "f", "cos://b-1250000000/k"], "invalid choice"),
    (["cp", "--include", "*.txt", "f", "cos://b-1250000000/k"], "need -r"),
    (["rm", "cos://b-1250000000/"], "use -r"),
    (["sync", "cos://b-1250000000/a", "cos://b-1250000000/b"], "between a local directory"),
    (["mb", "cos://b-1250000000/key"], "without a key"),
    (["presign", "--expires", "0", "cos://b-1250000000/k"], "--expires must be"),
    (["--secret-id", "AKIDx", "ls"], "--secret-id and --secret-key go together"),
]


@pytest.mark.parametrize(("args", "says"), BAD_USAGE[:4])
def test_bad_usage_is_one_line_and_status_2(cli: Cli, args: list[str], says: str) -> None:
    """The console script itself, for a few; the whole table in-process below (each
    subprocess costs an interpreter start and the client's import)."""
    r = cli(*args)
    assert r.returncode == 2, r.stderr
    if args:
        assert says in one_line_error(r.stderr)
    else:
        assert says in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(("args", "says"), BAD_USAGE)
def test_bad_usage_in_process(inproc: InProcess, args: list[str], says: str) -> None:
    r = inproc(*args)
    assert r.returncode == 2, r.stderr
    assert says in (one_line_error(r.stderr) if args else r.stderr)
    assert r.stdout == ""


def test_a_directory_without_r_and_a_missing_file(cli: Cli, bucket: str) -> None:
    (cli.cwd / "d").mkdir()
    r = cli("cp", "d", f"cos://{bucket}/x/")
    assert r.returncode == 2
    assert "is a directory: use -r" in one_line_error(r.stderr)
    r = cli("cp", "missing.txt", f"cos://{bucket}/x/")
    assert r.returncode == 1
    assert "cannot read 'missing.txt'" in one_line_error(r.stderr)


def test_ls_buckets_objects_recursive_human_json(
    cli: Cli, inproc: InProcess, bucket: str, cos: CosClient
) -> None:
    cos.put_object(bucket, "top.txt", b"x" * 2048)
    cos.put_object(bucket, "dir/inner.txt", b"hello")
    cos.put_object(bucket, "dir/sub/deep.txt", b"deep")
    buckets = cli("ls")
    assert buckets.returncode == 0
    assert f"cos://{bucket}" in buckets.stdout
    level = cli("ls", f"cos://{bucket}/")
    assert level.returncode == 0, level.stderr
    lines = level.stdout.splitlines()
    assert any(line.split()[-2:] == ["PRE", "dir/"] for line in lines)
    assert any(line.split()[-2:] == ["2048", "top.txt"] for line in lines)
    assert not any("inner.txt" in line for line in lines)
    inside = inproc("ls", f"cos://{bucket}/dir/")
    assert [line.split()[-1] for line in inside.stdout.splitlines()] == ["inner.txt", "sub/"]
    deep = inproc("ls", "-r", "-H", f"cos://{bucket}/")
    assert deep.returncode == 0
    assert [line.split()[-1] for line in deep.stdout.splitlines()] == [
        "dir/inner.txt",
        "dir/sub/deep.txt",
        "top.txt",
    ]
    assert "2.0 KiB" in deep.stdout
    as_json = inproc("ls", "--json", f"cos://{bucket}/dir/")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records[0]["key"] == "dir/inner.txt"
    assert records[0]["size"] == 5
    assert records[1] == {"type": "prefix", "bucket": bucket, "prefix": "dir/sub/"}
    # a key is hostile input: it cannot steer the terminal
    cos.put_object(bucket, "evil/\x1b[2J\rname.txt", b"x")
    evil = inproc("ls", "-r", f"cos://{bucket}/evil/")
    assert evil.stdout.rstrip().endswith("evil/\\x1b[2J\\x0dname.txt")
    assert "\x1b" not in evil.stdout
    assert "\x1b" not in inproc("ls", "--json", f"cos://{bucket}/evil/").stdout
    nothing = inproc("ls", f"cos://{bucket}/nothing-here/")
    assert nothing.returncode == 1
    assert "nothing under" in one_line_error(nothing.stderr)


def test_cp_up_down_and_across_then_stat_cat_du(
    cli: Cli, inproc: InProcess, bucket: str, cos: CosClient
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    (cli.cwd / "file.bin").write_bytes(data)
    up = cli("cp", "--part-size", "1MiB", "file.bin", f"cos://{bucket}/in/")
    assert up.returncode == 0, up.stderr
    assert up.stdout == f"upload: file.bin -> cos://{bucket}/in/file.bin\n"
    assert cos.get_object(bucket, "in/file.bin").read() == data
    across = cli("cp", f"cos://{bucket}/in/file.bin", f"cos://{bucket}/copy.bin")
    assert across.returncode == 0, across.stderr
    assert cos.get_object(bucket, "copy.bin").read() == data
    down = cli("cp", f"cos://{bucket}/copy.bin", "back.bin")
    assert down.returncode == 0, down.stderr
    assert (cli.cwd / "back.bin").read_bytes() == data
    (cli.cwd / "into").mkdir()
    into = inproc("cp", f"cos://{bucket}/copy.bin", "into")
    assert into.returncode == 0
    assert (cli.cwd / "into" / "copy.bin").read_bytes() == data

    st = cli("stat", f"cos://{bucket}/copy.bin")
    assert st.returncode == 0
    assert f"size:           {len(data)} " in st.stdout
    crc = cos.head_object(bucket, "copy.bin").crc64
    assert f"crc64:          {crc}\n" in st.stdout
    st_json = json.loads(inproc("stat", "--json", f"cos://{bucket}/copy.bin").stdout)
    assert st_json["size"] == len(data)
    assert st_json["crc64"] == crc
    bucket_stat = inproc("stat", f"cos://{bucket}")
    assert bucket_stat.returncode == 0
    assert "region:" in bucket_stat.stdout

    cat = cli("cat", f"cos://{bucket}/copy.bin", text=False)
    assert cat.returncode == 0
    assert cat.stdout == data

    du = cli("du", f"cos://{bucket}/")
    assert du.returncode == 0
    assert du.stdout.split("\t")[:2] == [str(2 * len(data)), "2 objects"]
    du_json = json.loads(inproc("du", "--json", f"cos://{bucket}/in/").stdout)
    assert du_json == {"path": f"cos://{bucket}/in/", "objects": 1, "bytes": len(data)}

    missing = inproc("stat", f"cos://{bucket}/nope")
    assert missing.returncode == 1
    assert "no such object" in one_line_error(missing.stderr)
    missing_cat = inproc("cat", f"cos://{bucket}/nope")
    assert missing_cat.returncode == 1


def test_cp_standard_input_and_output(cli: Cli, bucket: str, cos: CosClient) -> None:
    data = os.urandom(100_000)
    up = cli("cp", "-", f"cos://{bucket}/piped.bin", input=data, text=False)
    assert up.returncode == 0, up.stderr
    assert cos.get_object(bucket, "piped.bin").read() == data
    down = cli("cp", f"cos://{bucket}/piped.bin", "-", text=False)
    assert down.returncode == 0
    assert down.stdout == data
    # a reader that goes away (cos-async cat ... | head -c 10) ends the command quietly
    cos.put_object(bucket, "large.bin", os.urandom(8 * 1024 * 1024))
    proc = subprocess.Popen(
        [str(CONSOLE), "cat", f"cos://{bucket}/large.bin"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env,
    )
    assert proc.stdout is not None
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    _, err = proc.communicate(timeout=BOUND)
    assert (proc.returncode, err) == (0, b"")


def test_cp_recursive_filters_storage_class_and_metadata(
    cli: Cli, inproc: InProcess, bucket: str, cos: CosClient
) -> None:
    tree(cli.cwd / "src", FILES)
    r = cli(
        "cp",
        "-r",
        "--exclude",
        "*.log",
        "--exclude",
        "sub/*",
        "--include",
        "sub/deeper/*",
        "--storage-class",
        "STANDARD_IA",
        "--metadata",
        "owner=ci",
        "--content-type",
        "application/x-test",
        "src",
        f"cos://{bucket}/backup",
    )
    assert r.returncode == 0, r.stderr
    assert keys(cos, bucket) == ["backup/a.txt", "backup/sub/deeper/d.bin"]
    meta = cos.head_object(bucket, "backup/sub/deeper/d.bin")
    assert meta.storage_class == "STANDARD_IA"
    assert meta.metadata == {"owner": "ci"}
    assert meta.content_type == "application/x-test"
    assert cos.get_object(bucket, "backup/sub/deeper/d.bin").read() == FILES["sub/deeper/d.bin"]
    assert sorted(r.stdout.splitlines()) == [
        f"upload: src/a.txt -> cos://{bucket}/backup/a.txt",
        f"upload: src/sub/deeper/d.bin -> cos://{bucket}/backup/sub/deeper/d.bin",
    ]
    # a prefix down into a directory, and across (server-side) to another prefix
    down = inproc("cp", "-r", f"cos://{bucket}/backup", "restored")
    assert down.returncode == 0, down.stderr
    assert (cli.cwd / "restored" / "sub" / "deeper" / "d.bin").read_bytes() == FILES[
        "sub/deeper/d.bin"
    ]
    across = inproc("cp", "-r", f"cos://{bucket}/backup/", f"cos://{bucket}/mirror/")
    assert across.returncode == 0, across.stderr
    assert keys(cos, bucket, "mirror/") == ["mirror/a.txt", "mirror/sub/deeper/d.bin"]
    # a prefix is a directory: backup does not take in backup2/
    cos.put_object(bucket, "backup2/other.txt", b"no")
    again = inproc("cp", "-r", "--dry-run", f"cos://{bucket}/backup", "elsewhere")
    assert again.returncode == 0
    assert "backup2" not in again.stdout
    assert again.stdout.count("(dry run) download:") == 2
    assert not (cli.cwd / "elsewhere").exists()


def test_mv_file_and_object(cli: Cli, inproc: InProcess, bucket: str, cos: CosClient) -> None:
    (cli.cwd / "m.txt").write_bytes(b"move me")
    r = cli("mv", "m.txt", f"cos://{bucket}/m.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"move: m.txt -> cos://{bucket}/m.txt\n"
    assert not (cli.cwd / "m.txt").exists()
    r = inproc("mv", f"cos://{bucket}/m.txt", f"cos://{bucket}/moved/")
    assert r.returncode == 0, r.stderr
    assert keys(cos, bucket) == ["moved/m.txt"]
    r = inproc("mv", f"cos://{bucket}/moved/m.txt", "here.txt")
    assert r.returncode == 0
    assert keys(cos, bucket) == []
    assert (cli.cwd / "here.txt").read_bytes() == b"move me"


def test_rm_asks_unless_yes(cli: Cli, inproc: InProcess, bucket: str, cos: CosClient) -> None:
    for k in ("a.txt", "dir/b.txt", "dir/c.log", "dir2/d.txt"):
        cos.put_object(bucket, k, b"x")
    declined = inproc("rm", f"cos://{bucket}/a.txt", input="n\n")
    assert declined.returncode == 1
    assert "delete cos://" in declined.stderr
    assert "a.txt" in keys(cos, bucket)
    accepted = cli("rm", f"cos://{bucket}/a.txt", input="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "a.txt" not in keys(cos, bucket)
    no_answer = inproc("rm", "-r", f"cos://{bucket}/dir")  # stdin at its end: no
    assert no_answer.returncode == 1
    assert "delete 2 objects" in no_answer.stderr
    dry = inproc("rm", "-r", "--dry-run", "--exclude", "*.log", f"cos://{bucket}/dir")
    assert dry.stdout == f"(dry run) delete: cos://{bucket}/dir/b.txt\n"
    assert keys(cos, bucket) == ["dir/b.txt", "dir/c.log", "dir2/d.txt"]
    gone = cli("rm", "-r", "--yes", f"cos://{bucket}/dir")
    assert gone.returncode == 0, gone.stderr
    assert keys(cos, bucket) == ["dir2/d.txt"]  # a prefix is a directory: dir2 stays
    missing = inproc("rm", "--yes", f"cos://{bucket}/nope")
    assert missing.returncode == 1
    assert "no such object" in one_line_error(missing.stderr)


def test_mb_rb(cli: Cli, inproc: InProcess, server: ThreadedLocalCosServer, cos: CosClient) -> None:
    name = f"made-by-cli-{server.appid}"
    r = cli("mb", f"cos://{name}")
    assert r.returncode == 0, r.stderr
    assert cos.bucket_exists(name)
    again = inproc("mb", f"cos://{name}")
    assert again.returncode == 1
    assert "BucketAlreadyExists" in one_line_error(again.stderr)
    cos.put_object(name, "k", b"v")
    cos.create_multipart_upload(name, "pending")
    not_empty = inproc("rb", f"cos://{name}")
    assert not_empty.returncode == 1
    assert "BucketNotEmpty" in one_line_error(not_empty.stderr)
    forced = cli("rb", "--force", "--yes", f"cos://{name}")
    assert forced.returncode == 0, forced.stderr
    assert not cos.bucket_exists(name)


def test_presign_get_and_put(cli: Cli, inproc: InProcess, bucket: str, cos: CosClient) -> None:
    cos.put_object(bucket, "shared.txt", b"for anyone")
    r = cli("presign", "--expires", "120", f"cos://{bucket}/shared.txt")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert "q-signature=" in url
    with urllib.request.urlopen(url, timeout=30) as resp:  # the local server only
        assert resp.read() == b"for anyone"
    put = inproc("presign", "--method", "put", f"cos://{bucket}/upload.txt").stdout.strip()
    req = urllib.request.Request(put, data=b"uploaded", method="PUT")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    assert cos.get_object(bucket, "upload.txt").read() == b"uploaded"


def test_serve_is_the_local_server_under_our_name(cli: Cli, tmp_path: Path) -> None:
    help_text = cli("serve", "--help")
    assert help_text.returncode == 0
    assert help_text.stdout.startswith("usage: cos-async serve ")
    assert "--data-dir" in help_text.stdout
    bad = cli("serve", "--bucket", "NOPE")
    assert bad.returncode == 2
    assert one_line_error(bad.stderr).startswith("cos-async serve: error: invalid bucket name")
    proc = subprocess.Popen(
        [str(CONSOLE), "serve", "--port", "0", "--bucket", "served-1250000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli.env,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(7)]
        endpoint = banner[0].split()[-1]
        assert endpoint.startswith("http://127.0.0.1:")
        env = {"COS_ENDPOINT_URL": endpoint}
        listed = cli("ls", env=env)
        assert listed.returncode == 0, listed.stderr
        assert "cos://served-1250000000" in listed.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=BOUND)
    assert proc.returncode == 0
