"""What goes wrong: a failing server (fault injection), wrong keys, configuration files, and the
exit statuses: 1 with a summary of which files failed and why, 2 for usage, never a traceback
(unless --debug), never a secret."""

from __future__ import annotations

import os
from pathlib import Path

from cos_async.testing import FaultRule, ThreadedLocalCosServer
from cos_sync import CosClient

from .conftest import Cli, InProcess, one_line_error
from .test_commands import FILES, keys, tree


def test_one_failing_file_is_summarised_the_others_go_on(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    tree(cli.cwd / "src", FILES)
    server.faults.add(
        FaultRule(
            action="error",
            operation="PutObject",
            key="up/sub/c.txt",
            status=500,
            code="InternalError",
            message="the disk is on fire",
            times=None,
        )
    )
    r = cli("cp", "-r", "src", f"cos://{bucket}/up", env={"COS_ASYNC_PROGRESS_INTERVAL": "60"})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert keys(cos, bucket) == ["up/a.txt", "up/b.log", "up/sub/deeper/d.bin"]
    lines = r.stderr.splitlines()
    assert "cos-async: error: 1 of 4 uploads failed:" in lines
    failure = next(line for line in lines if line.startswith("  "))
    assert failure.startswith("  src/sub/c.txt: RetryExhausted")
    assert "InternalError" in failure
    assert "the disk is on fire" in failure
    assert len(r.stdout.splitlines()) == 3


def test_a_damaged_download_fails_and_leaves_no_file(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    cos.put_object(bucket, "blob", os.urandom(200_000))
    server.faults.add(
        FaultRule(action="corrupt", operation="GetObject", after_bytes=10, times=None)
    )
    r = cli("cp", f"cos://{bucket}/blob", "blob")
    assert r.returncode == 1
    assert "IntegrityError" in r.stderr or "RetryExhausted" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert os.listdir(cli.cwd) == []


def test_no_such_bucket_and_debug_traceback(cli: Cli, tmp_path: Path) -> None:
    (cli.cwd / "f.txt").write_bytes(b"x")
    r = cli("cp", "f.txt", "cos://missing-1250000000/f.txt")
    assert r.returncode == 1
    assert "NoSuchBucket" in r.stderr
    assert "Traceback" not in r.stderr
    debug = cli("--debug", "ls", "cos://missing-1250000000/")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1].startswith("cos-async: error: NoSuchBucket")


def test_wrong_keys_fail_without_echoing_them(cli: Cli, bucket: str) -> None:
    secret = "WrongSecretKeyThatMustNotBeEchoed0"
    r = cli(
        "--debug",
        "ls",
        f"cos://{bucket}/",
        env={"COS_SECRET_ID": "AKIDwrong", "COS_SECRET_KEY": secret},
    )
    assert r.returncode == 1
    assert "InvalidAccessKeyId" in r.stderr or "SignatureDoesNotMatch" in r.stderr, r.stderr
    assert secret not in r.stderr + r.stdout
    flags = cli("--secret-id", "AKIDwrong", "--secret-key", secret, "ls", f"cos://{bucket}/")
    assert flags.returncode == 1
    assert secret not in flags.stderr + flags.stdout


def _config(path: Path, text: str, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_config_file_profiles_mode_and_precedence(
    cli: Cli, inproc: InProcess, bucket: str, server: ThreadedLocalCosServer
) -> None:
    no_keys = {"COS_SECRET_ID": "", "COS_SECRET_KEY": ""}
    default_path = Path(cli.env["XDG_CONFIG_HOME"]) / "cos-async" / "config"
    secret = server.secret_key
    text = (
        f"[default]\nsecret_id = {server.secret_id}\nsecret_key = {secret}\n\n"
        f"[broken]\nsecret_id = AKIDnobody\nsecret_key = NotTheKeyAtAll0\n"
    )
    _config(default_path, text, 0o644)
    exposed = cli("ls", f"cos://{bucket}/", env=no_keys)
    assert exposed.returncode == 2
    line = one_line_error(exposed.stderr)
    assert "accessible by others (mode 0644)" in line
    assert "chmod 600" in line
    assert secret not in exposed.stderr
    default_path.chmod(0o600)
    ok = inproc("ls", f"cos://{bucket}/", env=no_keys)
    assert ok.returncode == 0, ok.stderr  # an empty bucket root: nothing to list, no error
    assert ok.stderr == ""
    broken = inproc("--profile", "broken", "ls", f"cos://{bucket}/", env=no_keys)
    assert broken.returncode == 1
    assert "NotTheKeyAtAll0" not in broken.stderr
    missing = inproc("--profile", "nope", "ls", env=no_keys)
    assert missing.returncode == 2
    assert "has no profile [nope] (profiles: default, broken)" in one_line_error(missing.stderr)
    # the environment comes before the file, flags before the environment
    env_wins = inproc("--profile", "broken", "ls", f"cos://{bucket}/")
    assert env_wins.returncode == 0, env_wins.stderr
    flag_wins = cli(
        "--secret-id",
        server.secret_id,
        "--secret-key",
        secret,
        "ls",
        f"cos://{bucket}/",
        env={"COS_SECRET_ID": "AKIDnobody", "COS_SECRET_KEY": "NotTheKeyAtAll0"},
    )
    assert flag_wins.returncode == 0, flag_wins.stderr
    other = _config(cli.cwd / "other.ini", "[default]\nregion = ap-beijing\ncolour = blue\n", 0o644)
    unknown = inproc("--config", str(other), "ls")
    assert unknown.returncode == 2
    assert "unknown setting(s) colour" in one_line_error(unknown.stderr)
    garbage = _config(cli.cwd / "garbage.ini", f"secret_key = {secret}\n[", 0o600)
    bad = inproc("--config", str(garbage), "ls")
    assert bad.returncode == 2
    assert "is not valid INI text" in one_line_error(bad.stderr)
    assert secret not in bad.stderr


def test_no_credentials_and_no_region(inproc: InProcess) -> None:
    r = inproc("ls", env={"COS_SECRET_ID": "", "COS_SECRET_KEY": ""})
    assert r.returncode == 2
    assert "no credentials" in one_line_error(r.stderr)
    r = inproc("ls", env={"COS_ENDPOINT_URL": ""})
    assert r.returncode == 2
    assert "no region" in one_line_error(r.stderr)
