"""Client credentials and the cached OAuth2 access token shared by every worker.

The secret and the token are kept out of every repr, log line and error message.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from importer.errors import ConfigError

__all__ = [
    "TOKEN_PATH",
    "AccessToken",
    "Credentials",
    "TokenCache",
    "is_loopback",
    "refresh_delay",
]

log = logging.getLogger("importer.send")

TOKEN_PATH = "/api/access/v1/oauth/token"
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class Credentials:
    """Where the tenant is and how to log in; `base_url` is the tenant root, e.g. `https://app.onetrust.com`."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _checked_base_url(self.base_url))
        if not self.client_id.strip():
            raise ConfigError("the client id is empty", hint="set ONETRUST_CLIENT_ID")
        if not self.client_secret:
            raise ConfigError("the client secret is empty", hint="set ONETRUST_CLIENT_SECRET")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Credentials:
        """Read ONETRUST_BASE_URL or _HOSTNAME, ONETRUST_CLIENT_ID and ONETRUST_CLIENT_SECRET."""
        base_url = environ.get("ONETRUST_BASE_URL", "").strip()
        if not base_url:
            hostname = environ.get("ONETRUST_HOSTNAME", "").strip()
            if not hostname:
                raise ConfigError(
                    "ONETRUST_HOSTNAME is not set",
                    hint="export ONETRUST_HOSTNAME=app.onetrust.com (or ONETRUST_BASE_URL=https://...)",
                )
            base_url = hostname if "://" in hostname else f"https://{hostname}"
        return cls(
            base_url=base_url,
            client_id=_required(environ, "ONETRUST_CLIENT_ID"),
            client_secret=_required(environ, "ONETRUST_CLIENT_SECRET"),
        )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set", hint=f"export {name}=... (see the README)")
    return value


def _checked_base_url(text: str) -> str:
    """Normalise to `scheme://host[:port][/prefix]`; https unless the host is loopback."""
    try:
        url = httpx.URL(text.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigError(f"base URL {text!r} is not a URL: {exc}") from None
    shown = str(url.copy_with(userinfo=None)) if url.userinfo else text  # never echo a password
    if url.userinfo or url.query or url.fragment:
        raise ConfigError(f"base URL {shown!r} must not carry credentials, a query or a fragment")
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigError(
            f"base URL {shown!r} must look like https://app.onetrust.com",
            hint="give the tenant's host name, e.g. ONETRUST_HOSTNAME=app.onetrust.com",
        )
    if url.scheme == "http" and not is_loopback(url.host):
        raise ConfigError(
            f"base URL {shown!r} uses plain http: only https is allowed except on loopback",
            hint="use https://",
        )
    path = url.path.rstrip("/")
    # The reference names endpoints under "https://{hostname}/api"; accept that spelling too.
    path = path.removesuffix("/api")
    return str(url.copy_with(path=path or "/")).rstrip("/")


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts where plain http is allowed."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when to stop using it (monotonic clock)."""

    value: str = field(repr=False)
    refresh_at: float

    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.value}"}


def refresh_delay(expires_in: float) -> float:
    """Seconds after issue to refresh: 90% of the lifetime or 60 s before expiry, whichever is
    earlier, but never before half of it (so very short tokens are not refetched every call)."""
    return max(min(0.9 * expires_in, expires_in - 60.0), 0.5 * expires_in)


Fetch = Callable[[], Awaitable[tuple[str, float]]]


class TokenCache:
    """Holds the current token; at most one fetch in flight, shared by every worker."""

    def __init__(self, fetch: Fetch, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch  # returns (access_token, expires_in seconds)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: AccessToken | None = None
        self.fetches = 0

    async def current(self) -> AccessToken:
        """The cached token, fetched first if there is none or it is due for refresh."""
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token
        async with self._lock:
            # Another worker may have refreshed while this one waited for the lock.
            token = self._token
            if token is None or self._clock() >= token.refresh_at:
                token = await self._renew()
            return token

    async def replace(self, rejected: AccessToken) -> AccessToken:
        """After a 401 with `rejected`: fetch a new token unless another worker already did."""
        async with self._lock:
            if self._token is rejected or self._token is None:
                return await self._renew()
            return self._token

    async def _renew(self) -> AccessToken:
        issued = self._clock()
        value, expires_in = await self._fetch()
        self.fetches += 1
        self._token = AccessToken(value, issued + refresh_delay(expires_in))
        log.debug("access token obtained; refresh in %.0f s", refresh_delay(expires_in))
        return self._token
