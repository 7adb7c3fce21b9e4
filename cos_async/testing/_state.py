"""What every part of the local COS server shares: the store, the accepted credentials, the
account's identity, the clock and the options (:class:`AppState`; ``CosApp`` is one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import attrs

from ._faults import FaultInjector, RequestLog
from ._store import Store

__all__ = ["AppState", "ServerCredential"]


@attrs.frozen
class ServerCredential:
    """A key pair the server accepts; with ``token``, requests must carry that security token."""

    secret_id: str
    secret_key: str = attrs.field(repr=False)
    token: str | None = attrs.field(default=None, repr=False)


class AppState:
    """The state of one local COS server, as its handlers see it."""

    def __init__(
        self,
        *,
        store: Store,
        credentials: list[ServerCredential],
        region: str,
        appid: str,
        faults: FaultInjector,
        requests: RequestLog,
        fast_etag: bool = False,
        restore_delay: float = 0.0,
        clock: Callable[[], float] = time.time,
        body_timeout: float = 30.0,
    ) -> None:
        self.store = store
        self.credentials = {c.secret_id: c for c in credentials}
        self.region = region
        self.appid = appid
        self.faults = faults
        self.requests = requests
        self.fast_etag = fast_etag
        self.restore_delay = restore_delay
        self.clock = clock
        #: seconds a request body may stall before the server answers 400 RequestTimeout
        self.body_timeout = body_timeout
        #: async fetch tasks by (bucket, task id) (``_handlers.fetch``)
        self.fetch_tasks: dict[tuple[str, str], Any] = {}
        self.owner_uin = "100000000001"
        self.owner_id = f"qcs::cam::uin/{self.owner_uin}:uin/{self.owner_uin}"

    def etag_for(self, md5_hex: str, crc: int, size: int) -> str:
        """The ETag of stored data: its quoted MD5, or (``fast_etag``) one made of its CRC-64."""
        if self.fast_etag:
            return f'"{crc:016x}{size:016x}"'
        return f'"{md5_hex}"'

    def owner(self) -> dict[str, str]:
        """The ``<Owner>`` of listed objects and versions."""
        return {"ID": self.owner_uin, "DisplayName": self.owner_uin}

    def account(self) -> dict[str, str]:
        """The ``<Owner>``/``<Initiator>`` of buckets, uploads and ACLs."""
        return {"ID": self.owner_id, "DisplayName": self.owner_uin}
