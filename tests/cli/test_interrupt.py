"""Ctrl-C (SIGINT) in the middle of a large transfer: exit status 130, no multipart upload left
behind (or, with --resume, a checkpoint and its upload kept, and the next run finishes from
them), no partial local file. The server holds the transfer mid-way with a ``delay`` fault, so
the signal lands while parts are in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from cos_async.testing import FaultRule, Operation, ThreadedLocalCosServer
from cos_sync import CosClient

from .conftest import BOUND, Cli

MiB = 1024 * 1024
#: how long the server holds each delayed request: longer than the test takes to send its
#: signal; the server's shutdown waits for the held requests, so not much longer
HOLD = 6.0


def wait_for(server: ThreadedLocalCosServer, op: Operation, bucket: str, count: int = 1) -> None:
    deadline = time.monotonic() + BOUND
    while server.requests.count(op, bucket=bucket) < count:
        assert time.monotonic() < deadline, f"no {op} request"
        time.sleep(0.05)


def interrupt(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=BOUND)
    return out, err


def test_ctrl_c_during_an_upload_aborts_it(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    (cli.cwd / "big.bin").write_bytes(os.urandom(8 * MiB))
    server.faults.add(FaultRule(action="delay", operation="UploadPart", delay=HOLD, times=None))
    proc = cli.popen(
        "cp", "--part-size", "1MiB", "--concurrency", "2", "big.bin", f"cos://{bucket}/big.bin"
    )
    wait_for(server, Operation.UploadPart, bucket)
    _out, err = interrupt(proc)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert list(cos.list_multipart_uploads(bucket)) == []
    assert list(cos.list_objects(bucket)) == []
    assert server.requests.count(Operation.AbortMultipartUpload, bucket=bucket) == 1


def test_ctrl_c_during_a_download_leaves_no_file(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    data = os.urandom(8 * MiB)
    cos.put_object(bucket, "big.bin", data)
    (cli.cwd / "out").mkdir()
    server.faults.add(
        FaultRule(action="delay", operation="GetObject", delay=HOLD, nth=2, times=None)
    )
    proc = cli.popen("cp", "--part-size", "1MiB", f"cos://{bucket}/big.bin", "out/big.bin")
    wait_for(server, Operation.GetObject, bucket, 2)
    _out, err = interrupt(proc)
    assert proc.returncode == 130, err
    assert os.listdir(cli.cwd / "out") == []  # neither the file nor a temporary one


def test_ctrl_c_with_resume_keeps_a_checkpoint_and_resumes(
    cli: Cli, bucket: str, cos: CosClient, server: ThreadedLocalCosServer
) -> None:
    data = os.urandom(6 * MiB)
    (cli.cwd / "big.bin").write_bytes(data)
    args = ("cp", "--resume", "--part-size", "1MiB", "--concurrency", "1")
    target = f"cos://{bucket}/big.bin"
    rule = server.faults.add(
        FaultRule(action="delay", operation="UploadPart", delay=HOLD, nth=3, times=None)
    )
    proc = cli.popen(*args, "big.bin", target)
    wait_for(server, Operation.UploadPart, bucket, 3)
    _out, err = interrupt(proc)
    assert proc.returncode == 130, err
    assert "checkpoints kept in" in err
    checkpoints = Path(cli.env["XDG_CACHE_HOME"]) / "cos-async" / "checkpoints"
    (checkpoint,) = checkpoints.iterdir()
    kept = len(checkpoint.read_text().splitlines()) - 1  # a header, then a line per part
    assert kept >= 2
    assert len(list(cos.list_multipart_uploads(bucket))) == 1  # kept, for the resume
    server.faults.remove(rule)
    sent = server.requests.count(Operation.UploadPart, bucket=bucket)
    again = cli(*args, "big.bin", target)
    assert again.returncode == 0, again.stderr
    assert cos.get_object(bucket, "big.bin").read() == data
    # the parts in the checkpoint were not sent again
    assert server.requests.count(Operation.UploadPart, bucket=bucket) - sent == 6 - kept
    assert os.listdir(checkpoints) == []
    assert list(cos.list_multipart_uploads(bucket)) == []
