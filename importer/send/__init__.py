"""Sending to the Incident Register: credentials, pacing, retries and the async client.

Example: `async with RegisterClient(Credentials.from_env()) as client:` then
`await client.create_incident(body)` gives `CreateResult(incident_id, status_code, attempts)`.
"""

from importer.send.auth import Credentials
from importer.send.classify import classify_exception, classify_status, parse_retry_after
from importer.send.client import CreateResult, RegisterClient, StageResult
from importer.send.stats import SendStats

__all__ = [
    "CreateResult",
    "Credentials",
    "RegisterClient",
    "SendStats",
    "StageResult",
    "classify_exception",
    "classify_status",
    "parse_retry_after",
]
