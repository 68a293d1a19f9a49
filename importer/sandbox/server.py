"""Running the sandbox: in a background thread (`running_sandbox`) or in the foreground (`serve`).

Both listen on loopback only and serve with `DroppableH11Protocol`; uvicorn logs at warning.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from importer.sandbox.app import create_app
from importer.sandbox.config import SandboxConfig, SandboxConfigError
from importer.sandbox.protocol import DroppableH11Protocol
from importer.sandbox.seed import load_seed
from importer.sandbox.store import IncidentStore

__all__ = ["SandboxHandle", "running_sandbox", "serve"]

logger = logging.getLogger(__name__)

_START_TIMEOUT = 10.0  # seconds
_STOP_TIMEOUT = 10.0


class SandboxHandle:
    """A running sandbox: its address, first credential, and admin calls for tests."""

    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self.base_url = base_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._admin = httpx.Client(base_url=base_url, timeout=10.0)

    def __repr__(self) -> str:  # keeps the secret out of test output
        return f"SandboxHandle(base_url={self.base_url!r}, client_id={self.client_id!r})"

    def set_faults(self, **knobs: Any) -> None:
        """Change fault knobs now, e.g. `set_faults(drop_after_commit=1.0)`."""
        self._call("PUT", "/_sandbox/faults", knobs)

    def set_config(self, **knobs: Any) -> None:
        """Change rate_limit, window_seconds, hourly_limit or token_lifetime now."""
        self._call("PUT", "/_sandbox/config", knobs)

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_sandbox/faults")
        return result

    def incidents(self) -> list[dict[str, Any]]:
        """Every stored incident, as GET returns them, in creation order."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/incidents")
        return result

    def add_incidents(self, body: dict[str, Any], created_date: str, copies: int = 1) -> list[str]:
        """Store `copies` incidents of `body` as if created at `created_date` (RFC 3339, Z)."""
        payload = {"body": body, "createdDate": created_date, "copies": copies}
        result: dict[str, list[str]] = self._call("POST", "/_sandbox/incidents", payload)
        return result["incidentIds"]

    def counts(self) -> dict[str, Any]:
        """`{"incidents": N, "duplicates": M, "duplicate_groups": G, "requests": {...}, ...}`."""
        result: dict[str, Any] = self._call("GET", "/_sandbox/counts")
        return result

    def expire_tokens(self) -> None:
        self._call("POST", "/_sandbox/expire-tokens")

    def reset(self) -> None:
        """Delete every incident and restart quota windows and counters."""
        self._call("POST", "/_sandbox/reset")

    def close(self) -> None:
        self._admin.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._admin.request(method, path, json=body)
        if response.is_error:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise SandboxConfigError(f"sandbox refused {method} {path}: {message}")
        return response.json()


@contextmanager
def running_sandbox(
    config: SandboxConfig | None = None, *, seed: Path | None = None, db: Path | None = None
) -> Iterator[SandboxHandle]:
    """Start the sandbox on a free 127.0.0.1 port in a thread; yield its handle; stop it."""
    tenant = load_seed(seed)
    with ExitStack() as cleanup:
        store = IncidentStore(db)
        cleanup.callback(store.close)
        sock = _listen("127.0.0.1", 0)
        cleanup.callback(sock.close)
        app = create_app(config or SandboxConfig(), tenant, store)
        server = uvicorn.Server(_uvicorn_config(app))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-register", daemon=True
        )
        thread.start()
        cleanup.callback(_stop, server, thread)
        _wait_started(server, thread)
        host, port = sock.getsockname()[:2]
        credential = tenant.credentials[0]
        handle = SandboxHandle(
            f"http://{host}:{port}", credential.client_id, credential.client_secret
        )
        cleanup.callback(handle.close)
        yield handle


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    config: SandboxConfig,
    seed: Path | None,
    db: Path | None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C; `on_ready(base_url)` runs once the port listens."""
    host = _loopback(host)
    tenant = load_seed(seed)
    store = IncidentStore(db)
    try:
        sock = _listen(host, port)
        base_url = f"http://{_url_host(host)}:{sock.getsockname()[1]}"
        logger.info("sandbox register listening on %s", base_url)
        if on_ready is not None:
            on_ready(base_url)
        server = uvicorn.Server(_uvicorn_config(create_app(config, tenant, store)))
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn already shut down gracefully and re-raised the signal
        finally:
            sock.close()
    finally:
        store.close()


def _uvicorn_config(app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=DroppableH11Protocol,
        ws="none",
        lifespan="off",
        loop="asyncio",
        log_config=None,  # leave the host program's logging alone
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )


def _loopback(host: str) -> str:
    """The host to bind if it is a loopback address; SandboxConfigError otherwise."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise SandboxConfigError(
        f"the sandbox listens on loopback only, not {host!r}",
        hint="use 127.0.0.1, ::1 or localhost",
    )


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections (else ~40 ms a call)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise SandboxConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port",
        ) from None
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(_STOP_TIMEOUT)
    if thread.is_alive():
        logger.warning("the sandbox server did not stop within %.0f s", _STOP_TIMEOUT)


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise SandboxConfigError("the sandbox server stopped while starting; see the log")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise SandboxConfigError(f"the sandbox server did not start in {_START_TIMEOUT:.0f} s")
        time.sleep(0.005)
