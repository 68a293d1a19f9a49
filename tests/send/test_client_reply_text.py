"""What of a server's reply reaches an error (and so results.csv): bounded, and no secret in it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from send_fakes import SECRET, client_for, status

from importer.errors import AmbiguousSendError, FatalSendError, RowRejectedError, SendError
from importer.send.responses import DETAILS_CHARS, REDACTED, bounded_details, redact

pytestmark = pytest.mark.anyio

BODY = {
    "name": "x",
    "incidentTypeName": "Phishing",
    "orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
}
INCIDENT_ID = "f7114aef-b6b6-42d6-9249-56a467950aa7"


def echo_json(code: int) -> Any:
    """A rejection that lists its problems and echoes what the request carried."""

    def answer(request: httpx.Request) -> httpx.Response:
        authorization = request.headers["Authorization"]
        return httpx.Response(
            code,
            json={
                "errors": [
                    {"field": "name", "message": "name is too long"},
                    {"field": "auth", "message": f"seen header Authorization: {authorization}"},
                ],
                "request": {"headers": {"Authorization": authorization}},
                "debug": f"client_secret={SECRET}",
            },
        )

    return answer


def echo_text(code: int) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        return httpx.Response(code, text=f"Unprocessable: token {token} / {SECRET}")

    return answer


@pytest.mark.parametrize(
    "answer",
    [echo_json(400), echo_text(400), echo_json(422), echo_text(409)],
    ids=["400-json", "400-text", "422-json", "409-text"],
)
async def test_a_rejection_echoing_the_request_is_scrubbed(fake, answer):
    fake.script.append(answer)
    async with client_for(fake) as client:
        with pytest.raises(RowRejectedError) as info:
            await client.create_incident(BODY)
    exc = info.value
    text = f"{exc}\n{exc!r}\n{exc.details!r}"
    for secret in [SECRET, *fake.issued]:
        assert secret not in text
    assert REDACTED in text


async def test_a_rejection_keeps_the_servers_reasons(fake):
    fake.script.append(echo_json(400))
    async with client_for(fake) as client:
        with pytest.raises(RowRejectedError, match="name is too long") as info:
            await client.create_incident(BODY)
    details = info.value.details
    assert details["errors"][0] == {"field": "name", "message": "name is too long"}
    assert details["request"]["headers"]["Authorization"] == REDACTED


LONG_BODIES = [
    ("one-long-message", {"errors": [{"field": "name", "message": "x" * 50_000}]}),
    ("many-problems", {"errors": [{"field": f"f{n}", "message": "bad"} for n in range(5_000)]}),
    ("many-numbers", list(range(10_000))),
    ("deep", json.loads("[" * 200 + "]" * 200)),
    ("long-text", "é" * 50_000),
]


@pytest.mark.parametrize("body", [b for _, b in LONG_BODIES], ids=[i for i, _ in LONG_BODIES])
async def test_rejection_details_and_message_are_bounded(fake, body):
    answer = status(400, text=body) if isinstance(body, str) else status(400, json=body)
    fake.script.append(answer)
    async with client_for(fake) as client:
        with pytest.raises(RowRejectedError) as info:
            await client.create_incident(BODY)
    details = info.value.details
    assert len(json.dumps(details, ensure_ascii=False)) <= DETAILS_CHARS + 50
    assert len(str(info.value)) <= 400
    if isinstance(body, dict):
        assert details["errors"][0]["field"] in ("name", "f0")  # the shape survives the cut


async def test_a_short_rejection_is_kept_whole(fake):
    problems = {"errors": [{"field": "orgGroupId", "message": "unknown organization"}] * 10}
    fake.script.append(status(400, json=problems))
    async with client_for(fake) as client:
        with pytest.raises(RowRejectedError) as info:
            await client.create_incident(BODY)
    assert info.value.details == problems


@pytest.mark.parametrize(
    ("call", "answer", "error_class"),
    [
        ("create", status(201, text=f"<html>sign in {SECRET}</html>"), AmbiguousSendError),
        ("create", status(201, json={"note": SECRET}), AmbiguousSendError),
        ("search", status(200, text=f"<html>sign in {SECRET}</html>"), FatalSendError),
        ("create", status(405, extensions={"reason_phrase": SECRET.encode()}), FatalSendError),
        ("create", status(500, extensions={"reason_phrase": SECRET.encode()}), AmbiguousSendError),
        ("update", status(404, text=f"no incident; you sent {SECRET}"), RowRejectedError),
    ],
    ids=["201-html", "201-no-id", "search-html", "405-reason", "500-reason", "update-404"],
)
async def test_other_answers_are_described_not_quoted(fake, call, answer, error_class):
    fake.script.append(answer)
    async with client_for(fake, max_attempts=1) as client:
        with pytest.raises(SendError) as info:
            if call == "create":
                await client.create_incident(BODY)
            elif call == "search":
                await client.search_incidents("x")
            else:
                await client.update_incident(INCIDENT_ID, BODY)
    exc = info.value
    assert type(exc) is error_class
    assert SECRET not in f"{exc}\n{exc!r}\n{exc.details!r}\n{exc.hint}"
    assert exc.details is None


async def test_a_non_json_answer_names_its_type_and_size(fake):
    fake.script.append(
        status(201, text="<html>login</html>", headers={"Content-Type": "text/html"})
    )
    async with client_for(fake) as client:
        with pytest.raises(AmbiguousSendError, match=r"not JSON \(text/html, 18 bytes\)"):
            await client.create_incident(BODY)


REDACT_TABLE = [
    ("known-secret", "oops abc123XYZ oops", ["abc123XYZ"], "oops [redacted] oops"),
    ("json-escaped", 'echo "a\\/b\\"c"', ['a/b"c'], 'echo "[redacted]"'),
    ("bearer", "Authorization: Bearer eyJ.x-y_z", [], "Authorization: Bearer [redacted]"),
    (
        "form",
        "grant_type=c&client_secret=p%40ss&x=1",
        [],
        "grant_type=c&client_secret=[redacted]&x=1",
    ),
    ("json-key", '{"access_token": "t0k"}', [], '{"access_token": "[redacted]"}'),
    ("plain-words", "the access_token is missing", [], "the access_token is missing"),
    ("empty-secret", "nothing here", [""], "nothing here"),
]


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [row[1:] for row in REDACT_TABLE],
    ids=[row[0] for row in REDACT_TABLE],
)
def test_redact(text, secrets, expected):
    assert redact(text, secrets) == expected


def test_bounded_details_hides_credential_keys_and_known_secrets():
    response = httpx.Response(
        400, json={"Authorization": "Basic dXNlcjpwdw==", "why": "sent s3cret", "n": 1}
    )
    assert bounded_details(response, ["s3cret"]) == {
        "Authorization": REDACTED,
        "why": f"sent {REDACTED}",
        "n": 1,
    }
