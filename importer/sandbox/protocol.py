"""A uvicorn h11 protocol whose requests can hang up without sending any response.

The "drop after commit" fault needs the client to see a bare disconnect (httpx:
`RemoteProtocolError: Server disconnected without sending a response`), which no ASGI
message can express. Each connection puts a `drop_connection` callable into the request's
`scope["state"]`; calling it closes the socket and turns later ASGI sends into no-ops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

__all__ = ["DROP_CONNECTION", "DroppableH11Protocol", "drop_connection_of"]

DROP_CONNECTION = "sandbox_drop_connection"


class DroppableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a per-connection `drop_connection` in the request state."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, {**app_state, DROP_CONNECTION: self.drop}, _loop)

    def drop(self) -> None:
        """Close this connection now; the response being built is never sent."""
        if self.cycle is not None:
            self.cycle.disconnected = True  # uvicorn then discards sends and logs nothing
        self.transport.close()


def drop_connection_of(scope: Mapping[str, Any]) -> Callable[[], None] | None:
    """The hang-up callable of the request's connection; None when not served by this protocol."""
    state = scope.get("state") or {}
    drop = state.get(DROP_CONNECTION)
    return drop if callable(drop) else None
