"""fsspec's own tests for implementations (``fsspec.tests.abstract``: copy, get, put, pipe and
open), as s3fs and gcsfs run them, against the local server. COS directories are key
prefixes; ``mkdir`` writes a directory marker (``dir/``), so empty directories exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fsspec.tests.abstract as abstract
import pytest

from cos_async.fs import CosFileSystem
from cos_async.testing import ThreadedLocalCosServer


class CosFixtures(abstract.AbstractFixtures):
    @pytest.fixture
    def fs(self, cos_storage_options: dict[str, Any]) -> Iterator[CosFileSystem]:
        fs = CosFileSystem(**cos_storage_options, skip_instance_cache=True)
        yield fs
        fs.close()

    @pytest.fixture
    def fs_path(self, cos_server: ThreadedLocalCosServer, cos_bucket: str) -> str:
        return cos_bucket

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return True


class TestCosCopy(abstract.AbstractCopyTests, CosFixtures):
    pass


class TestCosGet(abstract.AbstractGetTests, CosFixtures):
    pass


class TestCosPut(abstract.AbstractPutTests, CosFixtures):
    pass


class TestCosPipe(abstract.AbstractPipeTests, CosFixtures):
    pass


class TestCosOpen(abstract.AbstractOpenTests, CosFixtures):
    pass
