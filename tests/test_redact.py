"""No secret reaches the ledger, its lock file or a recorded command line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.ledger import Ledger, body_fingerprint
from importer.redact import Scrubber, redact_command, redact_command_line, scrub_text

OPTION_SECRET = "opt-S3cret-9f8e"
ENV_SECRET = "env-S3cret-7d6c"
PASSED_SECRET = "passed-S3cret-5b4a"
TOKEN = "eyJhbGciOi.payload.signature"


def _every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_a_ledger_written_through_the_api_holds_no_secret_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("ONETRUST_CLIENT_SECRET", ENV_SECRET)
    folder = tmp_path / "ledgers"
    command = (
        f"incident-import run log.csv --client-secret {OPTION_SECRET} --verbose "
        f"--base-url https://{ENV_SECRET}@example.com"
    )
    ledger = Ledger.open(folder / "t.sqlite", command=command, secrets=[PASSED_SECRET])
    try:
        run_id = ledger.start_run(
            {"client_secret": "meta-secret-value", "note": f"given {PASSED_SECRET}", "rows": 2}
        )
        body = {"name": "Lost laptop", "incidentTypeName": "Phishing"}
        for key in ("R-1", "R-2"):
            ledger.mark_sending(
                key, fingerprint=body_fingerprint(body), body=body, source="log.csv", run_id=run_id
            )
        ledger.mark_failed("R-1", f"401 with Authorization: Bearer {TOKEN}", run_id=run_id)
        ledger.mark_unknown("R-2", f"timeout; secret {ENV_SECRET} / {PASSED_SECRET}", run_id=run_id)
        ledger.finish_run(run_id, {"failed": 1, "unknown": 1})
        written_while_open = _every_byte_under(folder)
    finally:
        ledger.close()
    written = _every_byte_under(folder) + written_while_open

    for secret in (OPTION_SECRET, ENV_SECRET, PASSED_SECRET, TOKEN, "meta-secret-value"):
        assert secret.encode() not in written, secret
    # ...and the redacted records are still there to read.
    assert b"--client-secret '***'" in written
    assert b"Bearer ***" in written
    assert b"Lost laptop" in written


@pytest.mark.parametrize(
    "argv, environ, secrets, expected",
    [
        (["run", "a.csv", "--mapping", "m.yaml"], {}, [], ["run", "a.csv", "--mapping", "m.yaml"]),
        (["--client-secret", "xyz", "a.csv"], {}, [], ["--client-secret", "***", "a.csv"]),
        (["--client-secret=xyz"], {}, [], ["--client-secret=***"]),
        (["--token", "t", "--password", "p"], {}, [], ["--token", "***", "--password", "***"]),
        (["--API-KEY", "k"], {}, [], ["--API-KEY", "***"]),
        (["--client-secret-file", "/run/s"], {}, [], ["--client-secret-file", "/run/s"]),
        (["--client-id", "my-client"], {}, [], ["--client-id", "my-client"]),
        (["run", "--client-secret"], {}, [], ["run", "--client-secret"]),
        (["-u", "x?k=hunter22"], {"ONETRUST_CLIENT_SECRET": "hunter22"}, [], ["-u", "x?k=***"]),
        (["-n", "1"], {"RETRY_TOKEN": "1"}, [], ["-n", "1"]),
        (["--note", "hunter22"], {"HOME": "hunter22"}, [], ["--note", "hunter22"]),
        (["--note=abcxyz"], {}, ["xyz"], ["--note=abc***"]),
        (["-H", "Authorization: Bearer ab.c-d"], {}, [], ["-H", "Authorization: Bearer ***"]),
        (["https://me:pw@host/api"], {}, [], ["https://me:***@host/api"]),
    ],
    ids=[
        "innocent",
        "option-value",
        "option-equals",
        "token-and-password",
        "api-key-any-case",
        "secret-file-path-kept",
        "client-id-kept",
        "option-without-value",
        "env-secret-value-anywhere",
        "short-env-value-ignored",
        "non-secret-env-ignored",
        "given-secret",
        "bearer-token",
        "url-password",
    ],
)
def test_redact_command(argv, environ, secrets, expected):
    assert redact_command(argv, secrets=secrets, environ=environ) == expected


def test_redact_command_line_keeps_quoting():
    line = "incident-import run 'my log.csv' --client-secret 'a b'"
    assert (
        redact_command_line(line, environ={})
        == "incident-import run 'my log.csv' --client-secret '***'"
    )


def test_scrub_text_replaces_the_longest_secret_whole():
    assert scrub_text("key abcdef", ["abcdef", "abc"]) == "key ***"


# scrub_text runs each pattern only on text holding its literal; these prove the skip is exact.
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@")
_PIECES = ["Bearer ", "bEaReR\t", "bearer", "BEARER  x", "https://", "://", "ftp://me:", "pw@", "@"]
_PIECES += ["ab.c-d", " ", ":", "/", "K", "ſ", "İ", "é", "s3cr3t"]


def _scrub_every_time(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    text = _BEARER.sub(r"\g<1>***", text)
    return _URL_PASSWORD.sub(r"\g<1>***@", text)


@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=4)).map("".join))
def test_scrub_text_skips_a_pattern_only_where_it_could_not_match(text):
    assert scrub_text(text, ["s3cr3t"]) == _scrub_every_time(text, ["s3cr3t"])


@pytest.mark.parametrize("letter", "bear")
def test_only_ascii_letters_match_the_letters_of_bearer_ignoring_case(letter):
    """What lets scrub_text look for "bearer" in `text.lower()` before running `_BEARER`."""
    every_character = "".join(map(chr, range(sys.maxunicode + 1)))
    found = re.findall(f"(?i){letter}", every_character)
    assert sorted(found) == sorted({letter, letter.upper()})


def test_a_scrubber_scrubs_as_scrub_text_and_remembers_a_bounded_number_of_texts():
    scrub = Scrubber(["s3cr3t"], remember=3)
    texts = [f"row {n}: s3cr3t with Bearer abc" for n in range(10)] * 2
    assert [scrub(t) for t in texts] == [scrub_text(t, ["s3cr3t"]) for t in texts]
    assert len(scrub._done) <= 3
