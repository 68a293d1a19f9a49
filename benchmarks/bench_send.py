"""How close to the quota the sender runs, and whether it ever gets a 429.

Starts the sandbox with a short quota window (default 200 creates per 5 s per endpoint), paces
the client at a fraction of it (default 97%), sends N creates and prints the achieved rate as a
percentage of the quota, the peak number of requests in any window, and the 429 count.

    .venv/bin/python benchmarks/bench_send.py --creates 1000
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import time
from typing import Any

import httpx

from importer.sandbox import Faults, SandboxConfig, running_sandbox
from importer.send import Credentials, RegisterClient

FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"


class TimingTransport(httpx.AsyncHTTPTransport):
    """The normal transport, noting when each incident create leaves the client."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.create_times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/incidents"):
            self.create_times.append(time.monotonic())
        return await super().handle_async_request(request)


def peak_in_window(times: list[float], window: float) -> int:
    """The most requests that left within any `window`-second interval."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


async def send_all(sb: Any, args: argparse.Namespace) -> dict[str, Any]:
    quota_per_minute = args.quota / args.window * 60
    transport = TimingTransport(limits=httpx.Limits(max_connections=args.concurrency + 1))
    client = RegisterClient(
        Credentials(sb.base_url, sb.client_id, sb.client_secret),
        rate_per_minute=quota_per_minute * args.fraction,
        concurrency=args.concurrency,
        transport=transport,
    )
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(args.creates):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            body = {"name": f"bench {n}", "incidentTypeName": "Phishing", "orgGroupId": FRANCE}
            await client.create_incident(body)

    async with client:
        await client.authenticate()
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.concurrency * 2)))
        elapsed = time.monotonic() - started
    return {"elapsed": elapsed, "stats": client.stats, "times": transport.create_times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=1000, help="incidents to create")
    parser.add_argument("--quota", type=int, default=200, help="sandbox requests per window")
    parser.add_argument("--window", type=float, default=5.0, help="sandbox window, seconds")
    parser.add_argument("--fraction", type=float, default=0.97, help="client rate / quota")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sandbox added latency")
    args = parser.parse_args()

    config = SandboxConfig(
        rate_limit=args.quota,
        window_seconds=args.window,
        hourly_limit=10_000_000,
        faults=Faults(latency_ms=args.latency_ms),
    )
    with running_sandbox(config) as sb:
        result = asyncio.run(send_all(sb, args))
        counts = sb.counts()
    stats, elapsed, times = result["stats"], result["elapsed"], result["times"]
    quota_rate = args.quota / args.window
    # Steady rate: creates after the first, over the time from first to last departure.
    span = max(times) - min(times) if len(times) > 1 else elapsed
    steady = (len(times) - 1) / span if span else 0.0
    peak = peak_in_window(times, args.window)
    print(f"quota            {args.quota} per {args.window:g} s = {quota_rate:.1f}/s per endpoint")
    print(f"client rate      {args.fraction:.0%} of quota, concurrency {args.concurrency}")
    print(f"creates          {args.creates} in {elapsed:.2f} s, stored {counts['incidents']}")
    print(f"achieved rate    {steady:.2f}/s = {steady / quota_rate:.1%} of quota (steady)")
    print(
        f"overall rate     {args.creates / elapsed:.2f}/s = "
        f"{args.creates / elapsed / quota_rate:.1%} of quota (incl. start-up)"
    )
    print(f"peak per window  {peak} requests in any {args.window:g} s (quota {args.quota})")
    refused = sum(counts["rate_limited"].values())
    print(f"429 responses    {stats.throttled} (sandbox refused {refused})")
    print(f"requests/retries {stats.requests}/{stats.retries}, by status {stats.by_status}")


if __name__ == "__main__":
    main()
