"""Credentials from the environment, base-URL rules, and the secret kept out of every repr."""

from __future__ import annotations

import pytest

from importer.errors import ConfigError
from importer.send import Credentials
from importer.send.auth import AccessToken, refresh_delay

SECRET = "very-secret-value"
FULL_ENV = {
    "ONETRUST_HOSTNAME": "app-eu.onetrust.com",
    "ONETRUST_CLIENT_ID": "import-bot",
    "ONETRUST_CLIENT_SECRET": SECRET,
}


def test_from_env_builds_https_url_from_hostname():
    creds = Credentials.from_env(FULL_ENV)
    assert creds == Credentials("https://app-eu.onetrust.com", "import-bot", SECRET)


def test_base_url_wins_over_hostname():
    env = {**FULL_ENV, "ONETRUST_BASE_URL": "http://127.0.0.1:8123"}
    assert Credentials.from_env(env).base_url == "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    "missing",
    ["ONETRUST_HOSTNAME", "ONETRUST_CLIENT_ID", "ONETRUST_CLIENT_SECRET"],
)
def test_missing_variable_is_named(missing):
    env = {k: v for k, v in FULL_ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=missing) as info:
        Credentials.from_env(env)
    assert SECRET not in str(info.value) and SECRET not in str(info.value.hint)


def test_blank_variable_counts_as_missing():
    with pytest.raises(ConfigError, match="ONETRUST_CLIENT_ID"):
        Credentials.from_env({**FULL_ENV, "ONETRUST_CLIENT_ID": "  "})


URL_TABLE = [
    ("https://app.onetrust.com", "https://app.onetrust.com"),
    ("https://app.onetrust.com/", "https://app.onetrust.com"),
    ("https://app.onetrust.com/api", "https://app.onetrust.com"),
    ("https://proxy.example.com/onetrust/", "https://proxy.example.com/onetrust"),
    ("https://app.onetrust.com:8443", "https://app.onetrust.com:8443"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://127.8.9.10:8000", "http://127.8.9.10:8000"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("http://LOCALHOST:8000", "http://localhost:8000"),
    ("http://[::1]:8000", "http://[::1]:8000"),
]


@pytest.mark.parametrize(("given", "normalised"), URL_TABLE, ids=[g for g, _ in URL_TABLE])
def test_accepted_base_urls(given, normalised):
    assert Credentials(given, "id", SECRET).base_url == normalised


BAD_URL_TABLE = [
    ("http://app.onetrust.com", "only https"),
    ("http://10.0.0.5:8000", "only https"),
    ("http://[::2]:8000", "only https"),
    ("http://localhost.evil.com", "only https"),
    ("ftp://app.onetrust.com", "must look like"),
    ("app.onetrust.com", "must look like"),
    ("", "must look like"),
    ("https://user:pw@app.onetrust.com", "must not carry"),
    ("ftp://user:pw@app.onetrust.com", "must not carry"),
    ("https://app.onetrust.com/?x=1", "must not carry"),
]


@pytest.mark.parametrize(("given", "message"), BAD_URL_TABLE, ids=[g for g, _ in BAD_URL_TABLE])
def test_refused_base_urls(given, message):
    with pytest.raises(ConfigError, match=message) as info:
        Credentials(given, "id", SECRET)
    assert "pw" not in str(info.value)


def test_empty_secret_is_refused():
    with pytest.raises(ConfigError, match="secret is empty"):
        Credentials("https://app.onetrust.com", "id", "")


def test_secret_is_not_in_repr_or_str():
    creds = Credentials.from_env(FULL_ENV)
    assert SECRET not in repr(creds)
    assert SECRET not in str(creds)
    assert "import-bot" in repr(creds)


def test_token_value_is_not_in_repr():
    token = AccessToken("tok-abc123", refresh_at=10.0)
    assert "tok-abc123" not in repr(token)
    assert token.header() == {"Authorization": "Bearer tok-abc123"}


REFRESH_TABLE = [
    (31_536_000, 0.9 * 31_536_000),  # the vendor's one-year example: at 90%
    (3600, 3240),  # 90% (360 s early) is earlier than 60 s before
    (300, 240),  # 60 s before expiry is earlier than 90%
    (100, 50),  # never before half the lifetime
    (2, 1),
]


@pytest.mark.parametrize(
    ("expires_in", "delay"), REFRESH_TABLE, ids=[str(e) for e, _ in REFRESH_TABLE]
)
def test_refresh_delay(expires_in, delay):
    assert refresh_delay(expires_in) == pytest.approx(delay)
