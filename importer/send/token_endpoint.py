"""The OAuth2 token endpoint: client credentials in, a bearer token for the shared cache out.

Whatever goes wrong here stops the run: without a token no row can be sent, and an error raised
inside a row's call must never read as that row's fault. Errors name the status, never the
answer, which may echo the form (and so the client secret).
"""

from __future__ import annotations

import logging
import time

import httpx

from importer.errors import AuthError, FatalSendError, RetryableSendError, SendError
from importer.send import responses
from importer.send.auth import TOKEN_PATH, Credentials, TokenCache
from importer.send.classify import classify_exception, classify_status, parse_retry_after
from importer.send.pacing import Pacers
from importer.send.retrying import Call, RetryPolicy
from importer.send.stats import SendStats

__all__ = ["TokenEndpoint"]

log = logging.getLogger("importer.send")

# How long a refused connection is retried before the first token: long enough to ride out a
# register restarting, short enough that a wrong address is reported at once.
FIRST_CONTACT_SECONDS = 2.0


class TokenEndpoint:
    """Fetches access tokens into `self.cache`, paced and retried like any other endpoint."""

    def __init__(
        self,
        credentials: Credentials,
        http: httpx.AsyncClient,
        *,
        pacers: Pacers,
        retry: RetryPolicy,
        stats: SendStats,
    ) -> None:
        self.credentials = credentials
        self._http = http
        self._pacers = pacers
        self._retry = retry
        self._stats = stats
        self.cache = TokenCache(self.fetch)

    async def fetch(self) -> tuple[str, float]:
        """A new token as `(access_token, expires_in seconds)`; any failure is fatal."""
        call = Call("token", "POST", TOKEN_PATH, idempotent=True)
        started = time.monotonic()
        try:
            response = await self._retry.run(call, lambda: self._request(call, started))
        except FatalSendError:
            raise
        except SendError as exc:
            raise FatalSendError(
                f"could not get an access token for client id "
                f"{self.credentials.client_id!r}: {exc.message}",
                status_code=exc.status_code,
                retry_after=exc.retry_after,
                attempts=exc.attempts,
                hint="the register's token endpoint is failing; try again later",
            ) from exc
        try:
            token = responses.token_fields(response)  # its messages never quote the answer
        except ValueError as exc:
            raise FatalSendError(
                f"could not get an access token for client id {self.credentials.client_id!r}: "
                f"{exc} (HTTP {response.status_code})",
                status_code=response.status_code,
                attempts=call.attempts,
                hint="check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
            ) from None
        if self.cache.fetches:  # the cache counts this fetch only after it returns
            self._stats.token_refreshes += 1
        return token

    async def _request(self, call: Call, started: float) -> httpx.Response:
        """One token request; errors name its status, never its answer (that may echo the form)."""
        pacer = self._pacers[call.endpoint]
        await pacer.wait_turn()  # so a 429's pause holds the retry back
        call.attempts += 1
        creds = self.credentials
        form = {
            "grant_type": (None, "client_credentials"),
            "client_id": (None, creds.client_id),
            "client_secret": (None, creds.client_secret),
        }
        try:
            response = await self._http.post(TOKEN_PATH, files=form)
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            self._give_up_on_first_contact(exc, started)
            error_class = classify_exception(exc, idempotent=True)
            raise error_class(f"{call.what}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        log.debug("%s -> %d (request %d)", call.what, status, call.attempts)
        if 200 <= status < 300:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            self._stats.paused_seconds += pacer.pause_throttled(retry_after)
        if classify_status(status, idempotent=True) is RetryableSendError:  # 408, 429, 5xx
            raise RetryableSendError(
                f"{call.what}: HTTP {status}", status_code=status, retry_after=retry_after
            )
        raise _token_refused(status, creds.client_id)

    def _give_up_on_first_contact(self, exc: Exception, started: float) -> None:
        """Before the first token, a host that refuses connections is a wrong address or a
        register that is down: say so within seconds instead of backing off for minutes. A host
        that lets the request wait out the whole timeout (a silent port, a firewall that drops
        packets, a hung proxy) is reported at its first timeout: eight more would take minutes."""
        if self.cache.fetches:
            return
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.PoolTimeout):
            waited = self._http.timeout.read or self._http.timeout.connect or 0.0
            raise FatalSendError(
                f"the register at {self.credentials.base_url} did not answer within "
                f"{waited:g} s ({type(exc).__name__})",
                hint="check ONETRUST_BASE_URL (or ONETRUST_HOSTNAME), that the register is up "
                "and reachable from here, or raise --timeout",
            ) from exc
        if not isinstance(exc, httpx.ConnectError):
            return
        if time.monotonic() - started < FIRST_CONTACT_SECONDS:
            return
        reason = "connection refused" if _refused(exc) else str(exc) or type(exc).__name__
        raise FatalSendError(
            f"cannot connect to the register at {self.credentials.base_url}: {reason}",
            hint="check ONETRUST_BASE_URL (or ONETRUST_HOSTNAME) and that the register is up",
        ) from exc


def _refused(exc: BaseException) -> bool:
    """Whether the host answered "connection refused" (httpx words it "all attempts failed")."""
    seen: BaseException | None = exc
    for _ in range(10):  # a short chain; never loop on a cyclic one
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError):
            return True
        if isinstance(seen, BaseExceptionGroup) and any(
            _refused(inner) for inner in seen.exceptions
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _token_refused(status: int, client_id: str) -> FatalSendError:
    """The token endpoint's refusal, from the status alone."""
    if status in (400, 401, 403):
        return AuthError(
            f"the register refused the credentials of client id {client_id!r} (HTTP {status})",
            status_code=status,
            hint="check ONETRUST_CLIENT_ID, ONETRUST_CLIENT_SECRET and that the client is enabled",
        )
    if status == 404 or 300 <= status < 400:
        return FatalSendError(
            f"no such endpoint: the register has no token endpoint for client id {client_id!r} "
            f"at this address (HTTP {status})",
            status_code=status,
            hint="check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
        )
    return FatalSendError(
        f"the register's token endpoint did not issue a token for client id {client_id!r} "
        f"(HTTP {status})",
        status_code=status,
        hint="check the API client in the tenant's settings, then try again",
    )
