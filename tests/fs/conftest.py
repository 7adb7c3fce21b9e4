"""The cos:// tests use the pytest plugin's fixtures (``cos_server``, ``cos_bucket``,
``cos_storage_options``, ``cos_fs``): the local server is a thread of this process on
127.0.0.1, so worker processes (multiprocessing, Dask, Ray) reach it too. Without fsspec (an
install without ``cos-async[fsspec]``) there is nothing to test here."""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("fsspec") is None:
    collect_ignore_glob = ["test_*.py"]
