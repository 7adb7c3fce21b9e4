"""The cos:// tests use the pytest plugin's fixtures (``cos_server``, ``cos_bucket``,
``cos_storage_options``, ``cos_fs``): the local server is a thread of this process on
127.0.0.1, so worker processes (multiprocessing, Dask, Ray) reach it too."""

from __future__ import annotations

import pytest

pytest.importorskip("fsspec")
