"""What the command line raises to end a command with a given exit status."""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandFailed",
    "UsageError",
]

EXIT_OK = 0
#: some files or objects failed (a summary says which and why), or the command failed
EXIT_FAILED = 1
#: bad arguments, options or configuration: nothing was done
EXIT_USAGE = 2
#: interrupted (Ctrl-C): 128 + SIGINT, as shells report it
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad arguments or configuration, found before anything was done (exit status 2)."""


class CommandFailed(Exception):
    """The command failed in a way already explained by its message (exit status 1)."""
