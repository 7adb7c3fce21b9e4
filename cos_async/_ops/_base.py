"""What every operation family mixin shares: the engine it sends through."""

from __future__ import annotations

from cos_async._config import CosConfig
from cos_async._engine import RequestEngine

__all__ = ["OpsBase"]


class OpsBase:
    """Base of the family mixins: the client's engine (set by ``AsyncCosClient.__init__``)."""

    _engine: RequestEngine

    @property
    def config(self) -> CosConfig:
        """The configuration this client was built with."""
        return self._engine.config
