"""The proxy in front of the reference server: what it adds to a client's latency, how many requests per
second it carries, and its memory over a long run.

    .venv/bin/python benchmarks/proxy.py             # about 6 minutes
    .venv/bin/python benchmarks/proxy.py --quick     # a short pass of each (about 1 minute)

The target is ``videos-contract mock`` (0.2 s jobs), the proxy ``videos-contract proxy --target ...`` as a
user runs it (reports refreshed every 10 s), each its own process; the client is one asyncio loop
with httpx. The traffic is a client following its jobs: of every 20 requests, 1 create (multipart, as
the openai SDK sends it), 14 retrieves of its recent videos, 1 list, 1 content download of a completed
video, 1 delete and 1 retrieve of the deleted video (404), 1 create refused (seconds "10").

1. Added latency at --rate requests per second (default 200) for --seconds (default 20), --repeat times
   (default 3): open loop (each request goes at its time, whatever the ones before it answered; latency
   counted from that time), direct to the mock then through the proxy, in pairs (so that each pair meets
   about the same load on a shared machine); p50 and p99 of each, their differences, and the median
   difference of the pairs.
2. Requests per second, closed loop (--concurrency requests in flight, default 16), direct and through.
3. CPU per request: requests one at a time, the CPU time (/proc) of the forwarding process and of the
   grader process each (less noisy than latency on a shared machine: use it to compare changes).
4. Memory: --requests (default 100,000) requests through the proxy at --memory-rate per second (default
   500), the resident memory (VmRSS) of its two processes (forwarding, grading) every tenth of them;
   then the requests the reports say were graded.

Everything listens on 127.0.0.1 and is stopped at the end; the raw numbers go to benchmarks/out/proxy.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    OUT, BenchError, ROOT, descendants, git_describe, machine_line, proc_cpu, source_env, spawn, stop, table,
)

import httpx  # noqa: E402

MIX = ["create"] + ["retrieve"] * 14 + ["list", "content", "delete", "gone", "refused"]
READY_TIMEOUT = 20.0


def start(cmd: list[str], what: str, log: Path) -> tuple[object, str]:
    """Start a videos-contract command; the URL its ready line names."""
    env = source_env(ROOT)
    handle = log.open("w")
    proc = spawn([sys.executable, "-m", "contracts.cli", *cmd], env=env, cwd=ROOT, stdout=handle, stderr=handle)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        for line in text.splitlines():
            if "listening on http://" in line:
                return proc, line.split("listening on ", 1)[1].split()[0]
        if proc.poll() is not None:
            raise BenchError(f"{what} exited (code {proc.returncode}): {text[-500:]}")
        time.sleep(0.05)
    raise BenchError(f"{what} did not say it listens within {READY_TIMEOUT:g} s")


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def proxy_rss(pid: int) -> tuple[int, int]:
    """(the forwarding process's resident KiB, its grader process's)."""
    return rss_kib(pid), sum(rss_kib(child) for child in descendants(pid))


class Client:
    """The traffic of one client following its jobs, against one base URL."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = httpx.AsyncClient(limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
                                      timeout=30.0, headers={"Authorization": "Bearer sk-bench-0123456789"})
        self.ids: list[str] = []
        self.gone: list[str] = []
        self.step = 0
        self.errors = 0

    async def warm(self, count: int = 20) -> None:
        for _ in range(count):
            await self.one("create")
        await asyncio.sleep(0.5)  # their jobs complete: content can be downloaded

    def next_kind(self) -> str:
        kind = MIX[self.step % len(MIX)]
        self.step += 1
        return kind

    async def one(self, kind: str) -> None:
        try:
            if kind == "create":
                response = await self.http.post(f"{self.base}/videos", files={"prompt": (None, "a lighthouse in fog")})
                if response.status_code == 200:
                    self.ids.append(response.json()["id"])
                    del self.ids[:-50]
            elif kind == "refused":
                await self.http.post(f"{self.base}/videos", files={"prompt": (None, "x"), "seconds": (None, "10")})
            elif kind == "retrieve":
                await self.http.get(f"{self.base}/videos/{random.choice(self.ids)}")
            elif kind == "list":
                await self.http.get(f"{self.base}/videos", params={"limit": 10})
            elif kind == "content":
                await self.http.get(f"{self.base}/videos/{self.ids[0]}/content")
            elif kind == "delete":
                victim = self.ids.pop(random.randrange(len(self.ids) - 1)) if len(self.ids) > 5 else self.ids[0]
                await self.http.delete(f"{self.base}/videos/{victim}")
                self.gone.append(victim)
                del self.gone[:-20]
            elif kind == "gone":
                await self.http.get(f"{self.base}/videos/{(self.gone or self.ids)[-1]}")
        except httpx.HTTPError:
            self.errors += 1

    async def open_loop(self, rate: float, seconds: float, offset: float = 0.0) -> list[float]:
        """Requests at ``rate`` per second for ``seconds``: each latency (ms) from its scheduled time."""
        latencies: list[float] = []
        tasks = []
        start = time.perf_counter() + 0.1 + offset

        async def timed(at: float, kind: str) -> None:
            await self.one(kind)
            latencies.append((time.perf_counter() - at) * 1000)

        for i in range(int(rate * seconds)):
            at = start + i / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(timed(at, self.next_kind())))
        await asyncio.gather(*tasks)
        return latencies

    async def closed_loop(self, concurrency: int, count: int | None = None, seconds: float | None = None,
                          rate: float | None = None, every: int = 0, sample=None) -> tuple[int, float]:
        """``count`` requests (or for ``seconds``), ``concurrency`` in flight (at most ``rate`` per second):
        how many were made, and the seconds it took; ``sample(done)`` every ``every`` requests."""
        done = 0
        started = time.perf_counter()
        stop_at = started + seconds if seconds else None
        lock = asyncio.Lock()

        async def worker() -> None:
            nonlocal done
            while True:
                async with lock:
                    if (count is not None and done >= count) or (stop_at and time.perf_counter() >= stop_at):
                        return
                    done += 1
                    mine = done
                    kind = self.next_kind()
                if rate:
                    wait = started + mine / rate - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                await self.one(kind)
                if every and sample and mine % every == 0:
                    sample(mine)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done, time.perf_counter() - started

    async def close(self) -> None:
        await self.http.aclose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latency(base: str, rate: float, seconds: float) -> list[float]:
    client = Client(base)
    await client.warm()
    try:
        return await client.open_loop(rate, seconds)
    finally:
        await client.close()


async def cpu_per_request(base: str, pid: int, count: int) -> tuple[float, float, float]:
    """``count`` requests one at a time: (ms each, the forwarding process's CPU µs each, the grader's)."""
    client = Client(base)
    await client.warm()
    graders = descendants(pid)
    before = proc_cpu(pid) or 0.0, sum(proc_cpu(g) or 0.0 for g in graders)
    started = time.perf_counter()
    try:
        await client.closed_loop(1, count=count)
    finally:
        await client.close()
    took = time.perf_counter() - started
    await asyncio.sleep(1.0)  # the grader catches up
    after = proc_cpu(pid) or 0.0, sum(proc_cpu(g) or 0.0 for g in graders)
    return took / count * 1000, (after[0] - before[0]) / count * 1e6, (after[1] - before[1]) / count * 1e6


async def throughput(base: str, concurrency: int, seconds: float) -> float:
    client = Client(base)
    await client.warm()
    try:
        done, took = await client.closed_loop(concurrency, seconds=seconds)
        return done / took
    finally:
        await client.close()


async def memory(base: str, pid: int, requests: int, rate: float, concurrency: int) -> list[tuple]:
    client = Client(base)
    await client.warm()
    samples = [(0, 0.0, *proxy_rss(pid))]
    started = time.perf_counter()
    try:
        await client.closed_loop(concurrency, count=requests, rate=rate, every=max(1, requests // 10),
                                 sample=lambda done: samples.append((done, time.perf_counter() - started,
                                                                     *proxy_rss(pid))))
    finally:
        await client.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3, help="latency runs (the median is the figure)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--memory-rate", type=float, default=500.0)
    parser.add_argument("--quick", action="store_true", help="5 s per latency run, 3 s throughput, 10,000 requests")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.requests = 5.0, 10_000
    out = Path(tempfile.mkdtemp(prefix="proxy-bench-"))
    print(f"# benchmarks/proxy.py -- {machine_line()}")
    mock, target = start(["mock", "--port", "0", "--job-seconds", "0.2"], "the mock", out / "mock.log")
    proxy, through = start(["proxy", "--target", target, "--port", "0", "--report-dir", str(out / "reports")],
                           "the proxy", out / "proxy.log")
    try:
        rows, added = [], []
        for run in range(1, args.repeat + 1):
            direct_ms = asyncio.run(latency(target, args.rate, args.seconds))
            proxied_ms = asyncio.run(latency(through, args.rate, args.seconds))
            p50 = [percentile(v, 0.5) for v in (direct_ms, proxied_ms)]
            p99 = [percentile(v, 0.99) for v in (direct_ms, proxied_ms)]
            added.append((p50[1] - p50[0], p99[1] - p99[0]))
            rows.append([run, len(proxied_ms), p50[0], p99[0], p50[1], p99[1], added[-1][0], added[-1][1]])
        rows.append(["median", "", "", "", "", "", statistics.median(a[0] for a in added),
                     statistics.median(a[1] for a in added)])
        print(table(["run", "requests each", "direct p50 ms", "direct p99 ms", "proxy p50 ms", "proxy p99 ms",
                     "added p50 ms", "added p99 ms"], rows,
                    title=f"1. Latency at {args.rate:g} requests per second, direct then through the proxy, "
                          f"{args.seconds:g} s each, open loop"))
        quick = 3.0 if args.quick else 10.0
        direct_rps = asyncio.run(throughput(target, args.concurrency, quick))
        proxied_rps = asyncio.run(throughput(through, args.concurrency, quick))
        print(table(["route", "requests per second"], [["direct", direct_rps], ["through the proxy", proxied_rps]],
                    title=f"2. Requests per second, {args.concurrency} in flight, {quick:g} s"))
        each_ms, forwarding_us, grading_us = asyncio.run(cpu_per_request(through, proxy.pid, 3000 if not args.quick
                                                                          else 1000))
        print(table(["requests", "ms each", "forwarding CPU µs each", "grader CPU µs each"],
                    [[3000 if not args.quick else 1000, each_ms, forwarding_us, grading_us]],
                    title="3. CPU per request through the proxy, one request at a time"))
        samples = asyncio.run(memory(through, proxy.pid, args.requests, args.memory_rate, args.concurrency))
        print(table(["requests", "seconds", "forwarding RSS MiB", "grader RSS MiB", "total MiB"],
                    [[n, s, fwd / 1024, grader / 1024, (fwd + grader) / 1024] for n, s, fwd, grader in samples],
                    title=f"4. Memory over {args.requests:,} requests through the proxy ({args.memory_rate:g} per second)"))
    finally:
        proxy.send_signal(signal.SIGTERM)  # it grades what is queued and writes its reports
        try:
            proxy.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        stop(proxy)
        stop(mock)
    report = out / "reports" / "conformance.json"
    graded = None
    if report.exists():
        doc = json.loads(report.read_text())
        graded = doc["requests_sent"]
        print(f"\nThe proxy's report: {doc['requests_sent']:,} requests graded, {doc['counts']['failed']} clauses failed, "
              f"outcome {doc['outcome']} ({report})")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "proxy.json").write_text(json.dumps({
        "source": git_describe(ROOT), "machine": machine_line(), "rate": args.rate, "seconds": args.seconds,
        "latency_pairs": [{"added_p50_ms": a, "added_p99_ms": b} for a, b in added],
        "requests_per_second": {"direct": direct_rps, "through": proxied_rps},
        "cpu_per_request": {"ms_each": each_ms, "forwarding_us": forwarding_us, "grader_us": grading_us},
        "memory": [{"requests": n, "seconds": t, "forwarding_kib": f, "grader_kib": g} for n, t, f, g in samples],
        "graded": graded}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"benchmarks/proxy.py: {exc}", file=sys.stderr)
        sys.exit(1)
