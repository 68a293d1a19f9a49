"""Bearer tokens of the sandbox: random opaque strings with a lifetime, kept in memory only."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from importer.sandbox.seed import Credential

__all__ = ["IssuedToken", "TokenIssuer"]

_REMEMBER_EXPIRED = 3600.0  # seconds


@dataclass(frozen=True)
class IssuedToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class TokenIssuer:
    """Issues and checks tokens; `expire_all` makes every issued token invalid at once."""

    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self.issued_count = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, credential: Credential) -> tuple[str, IssuedToken]:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            # forget long-dead tokens, but keep recent ones so a refusal can say "expired"
            horizon = now - _REMEMBER_EXPIRED
            self._tokens = {t: i for t, i in self._tokens.items() if i.expires_at > horizon}
            info = IssuedToken(
                credential.client_id, frozenset(credential.scopes), now + self.lifetime
            )
            self._tokens[token] = info
            self.issued_count += 1
        return token, info

    def check(self, token: str) -> IssuedToken | str:
        """The token's grant, or why it is refused ("unknown token" / "token expired")."""
        with self._lock:
            info = self._tokens.get(token)
            if info is None:
                return "unknown bearer token"
            if info.expires_at <= self._clock():
                return "bearer token expired"
            return info

    def expire_all(self) -> int:
        """Expire every issued token now; return how many were still valid."""
        with self._lock:
            now = self._clock()
            valid = sum(1 for info in self._tokens.values() if info.expires_at > now)
            self._tokens = {
                t: IssuedToken(i.client_id, i.scopes, min(i.expires_at, now))
                for t, i in self._tokens.items()
            }
        return valid
