"""The Redis broker transport the publishers use: kombu's, with one client per channel.

kombu's Redis channel builds a new ``redis.Redis`` object for every command it sends
outside its consumer loop (``Channel.conn_or_acquire``): two per publish, the exchange's
route lookup and the LPUSH. Each build sets up some 170 response callbacks, about 40 % of
the CPU of a templated publish (dispatch.py). The object holds no connection of its own:
every command borrows one from the channel's connection pool and gives it back. So one
client per channel, built on first use and rebuilt if the channel's pool is replaced,
sends the same commands over the same connections. (A channel belongs to one producer of
kombu's producer pool, used by one thread at a time; redis-py clients are thread-safe
anyway.)

Only publishing uses it (``dispatch._producers``); workers consume through the default
transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _publish_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        cached = self._publish_client
        if cached is None or cached.connection_pool is not self.pool:
            cached = self._publish_client = self._create_client()  # type: ignore[attr-defined]
        yield cached


class Transport(kombu_redis.Transport):
    Channel = Channel


def transport_for(broker_url: str) -> type[kombu_redis.Transport] | None:
    """This transport for a plain Redis broker URL, else None (kombu picks by scheme)."""
    scheme = broker_url.partition("://")[0].lower()
    return Transport if scheme in ("redis", "rediss") else None


__all__ = ("Channel", "Transport", "transport_for")
