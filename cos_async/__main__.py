"""``python -m cos_async``: the ``cos-async`` command line (imported only when run)."""

from __future__ import annotations


def _run() -> None:
    from cos_async.cli import main

    main()


if __name__ == "__main__":
    _run()
