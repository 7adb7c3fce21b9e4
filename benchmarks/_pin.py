"""The fair method of measuring on a small machine (design.md, "Measuring on this machine"):
the servers on the last CPU, the clients (this process, its threads and its children) on the
others, so that a client's throughput is its own, as with a remote server.

Affinity is set for every thread that exists (``/proc/<pid>/task``); threads and processes
created later inherit it from their creator.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

__all__ = ["pin"]


def _set(pid: int, cpus: set[int]) -> None:
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        with contextlib.suppress(OSError):  # a thread that just ended
            os.sched_setaffinity(tid, cpus)


def pin(*servers: Any, enabled: bool = True) -> str:
    """Pin ``servers`` (objects with ``.proc``: a ``subprocess.Popen``) to the last CPU and this
    process to the others; returns what was done, for the report."""
    if not enabled:
        return "not pinned (--no-pin)"
    if not hasattr(os, "sched_getaffinity"):
        return "not pinned (no CPU affinity on this platform)"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned (one CPU)"
    for server in servers:
        _set(server.proc.pid, {cpus[-1]})
    _set(os.getpid(), set(cpus[:-1]))
    clients = ",".join(map(str, cpus[:-1]))
    return f"servers on CPU {cpus[-1]}, clients on CPU {clients}"
