"""Large transfers, over the typed operations of :mod:`cos_async._ops` (called sideways, as
object_store's ``upload.rs`` uses its ``MultipartStore``; never the client's public methods):

* :mod:`.upload` — ``upload_file`` (resumable multipart from a file) and ``upload_stream``;
* :mod:`.download` — ``download_file`` (ranged GETs into a temporary file, renamed when whole);
* :mod:`.copy` — ``copy`` of any size;
* :mod:`.bulk` — ``upload_dir``, ``download_prefix``, ``delete_prefix``;
* :mod:`.checkpoint` — the checkpoint file of resumable transfers;
* :mod:`.api` — :class:`TransferOps`, the thin methods of the client.
"""

from __future__ import annotations

from ._common import (
    DEFAULT_CONCURRENCY,
    DEFAULT_COPY_PART_SIZE,
    DEFAULT_DOWNLOAD_PART_SIZE,
    DEFAULT_PART_SIZE,
    PART_ATTEMPTS,
    choose_part_size,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_COPY_PART_SIZE",
    "DEFAULT_DOWNLOAD_PART_SIZE",
    "DEFAULT_PART_SIZE",
    "PART_ATTEMPTS",
    "choose_part_size",
]
