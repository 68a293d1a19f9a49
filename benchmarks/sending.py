"""The sender: share of a quota held without a 429, overhead against a raw httpx loop, and how
soon a real run's first create reaches the register."""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_send import peak_in_window, send_all
from benchmarks.measure import REPO, bytecode_env, python
from benchmarks.sandbox_process import sandbox_process
from importer.sandbox import SandboxConfig, running_sandbox
from importer.send import Credentials, RegisterClient

FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"
UNLIMITED = SandboxConfig(rate_limit=1_000_000_000, window_seconds=60, hourly_limit=10**12)


@dataclass
class QuotaUse:
    share: float  # steady creates/s as a share of the quota
    fraction: float  # what the client was paced at
    peak: int  # most creates in any window
    quota: int
    throttled: int


def quota_use(
    creates: int = 600, quota: int = 200, window: float = 5.0, fraction: float = 0.98
) -> QuotaUse:
    """`creates` creates paced at `fraction` of `quota` per `window` seconds (several windows).

    98 %: the pacer's headroom above the 97 % target, two requests a window below the quota.
    """
    args = argparse.Namespace(
        creates=creates, quota=quota, window=window, fraction=fraction, concurrency=4
    )
    config = SandboxConfig(rate_limit=quota, window_seconds=window, hourly_limit=10_000_000)
    with running_sandbox(config) as sb:
        result = asyncio.run(send_all(sb, args))
    times = result["times"]
    steady = (len(times) - 1) / (max(times) - min(times))
    return QuotaUse(
        steady / (quota / window),
        fraction,
        peak_in_window(times, window),
        quota,
        result["stats"].throttled,
    )


@dataclass
class Overhead:
    product: float  # creates/s through RegisterClient
    raw: float  # creates/s through a bare httpx.AsyncClient loop
    product_cpu_ms: float  # client CPU per create (the server runs in another process)
    raw_cpu_ms: float

    @property
    def ratio(self) -> float:
        return self.product / self.raw

    @property
    def cpu_ratio(self) -> float:
        """Raw client CPU per create over the product's: what the rates converge to when the
        client is what limits them (noise-free where rates are not)."""
        return self.raw_cpu_ms / self.product_cpu_ms


def _bodies(count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"bench {n}", "incidentTypeName": "Phishing", "orgGroupId": FRANCE}
        for n in range(count)
    ]


async def _product_rate(sb: Any, bodies: list[dict[str, Any]], concurrency: int) -> float:
    client = RegisterClient(
        Credentials(sb.base_url, sb.client_id, sb.client_secret),
        rate_per_minute=1e9,
        concurrency=concurrency,
    )
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            await client.create_incident(queue.pop())

    async with client:
        await client.authenticate()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started)


async def _raw_rate(sb: Any, bodies: list[dict[str, Any]], concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=sb.base_url, limits=limits) as http:
        answer = await http.post(
            "/api/access/v1/oauth/token",
            files={
                "grant_type": (None, "client_credentials"),
                "client_id": (None, sb.client_id),
                "client_secret": (None, sb.client_secret),
            },
        )
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        queue = list(reversed(bodies))

        async def worker() -> None:
            while queue:
                response = await http.post(
                    "/api/incident/v1/incidents", json=queue.pop(), headers=headers
                )
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started)


def overhead(creates: int = 2000, concurrency: int = 4) -> Overhead:
    """Creates/s against an unlimited sandbox in another process: RegisterClient vs a raw httpx
    loop, the same bodies at the same concurrency, alternated three times (best of each) so
    drift and other load hit both."""
    product, raw, product_cpu, raw_cpu = [], [], [], []
    with sandbox_process() as sb:
        for _ in range(3):
            started = time.process_time()
            raw.append(asyncio.run(_raw_rate(sb, _bodies(creates), concurrency)))
            raw_cpu.append((time.process_time() - started) * 1000 / creates)
            started = time.process_time()
            product.append(asyncio.run(_product_rate(sb, _bodies(creates), concurrency)))
            product_cpu.append((time.process_time() - started) * 1000 / creates)
    return Overhead(max(product), max(raw), min(product_cpu), min(raw_cpu))


def first_request(path: Path, mapping: Path) -> float:
    """Seconds from starting `incident-import run` on `path` to the register storing its first
    incident; the run is then interrupted (Ctrl-C)."""
    with running_sandbox(UNLIMITED) as sb, tempfile.TemporaryDirectory() as work:
        env = {
            **bytecode_env(),
            "ONETRUST_BASE_URL": sb.base_url,
            "ONETRUST_CLIENT_ID": sb.client_id,
            "ONETRUST_CLIENT_SECRET": sb.client_secret,
        }
        command = python(
            "-m", "importer", "run", str(path), "--mapping", str(mapping),
            "--report-dir", work, "--ledger", str(Path(work) / "ledger.sqlite"),
            "--log-format", "json",
        )  # fmt: skip
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while sb.counts()["incidents"] == 0:
                if child.poll() is not None:
                    raise RuntimeError(f"the run ended (exit {child.returncode}) before sending")
                time.sleep(0.02)
            return time.perf_counter() - started
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
