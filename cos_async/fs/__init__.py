"""``cos://`` for the Python data stack: an fsspec filesystem over :class:`cos_async.AsyncCosClient`.

Installed with the extra ``cos-async[fsspec]``, it is registered for the protocol ``cos`` (the
``fsspec.specs`` entry point), so pandas, pyarrow, Dask, Ray, xarray and zarr reach COS by URL::

    import pandas as pd

    options = {"region": "ap-guangzhou", "secret_id": "AKID...", "secret_key": "..."}
    df = pd.read_parquet("cos://examplebucket-1250000000/data/part-0.parquet",
                         storage_options=options)

URLs are ``cos://<bucket>-<appid>/<key>``. Storage options are the fields of
:class:`cos_async.CosConfig` by their names (without keys: the default credentials chain, the
``COS_SECRET_ID`` / ``COS_SECRET_KEY`` / ``COS_TOKEN`` environment variables), plus fsspec's own
(``skip_instance_cache``, ``use_listings_cache``, ``listings_expiry_time``, ``max_paths``,
``asynchronous``, ``loop``, ``batch_size``) and the defaults of :meth:`CosFileSystem.open`
(``default_block_size``, ``default_cache_type``, ``default_readahead``, ``concurrency``).

``import cos_async`` never imports this module (nor fsspec).
"""

from __future__ import annotations

try:
    import fsspec  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError("cos_async.fs needs fsspec: pip install 'cos-async[fsspec]'") from exc

from ._core import CosFileSystem
from ._file import CosFile, CosReadCache

__all__ = ["CosFile", "CosFileSystem", "CosReadCache"]
