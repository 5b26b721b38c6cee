"""How long a client's polling test takes against the mock: on the manual clock, and the old way.

    .venv/bin/python benchmarks/mock_polling.py               # 50 runs of each scenario (~20 s)
    .venv/bin/python benchmarks/mock_polling.py --runs 200

Each scenario is a polling test as a client writes it, through the openai SDK over loopback to a
real ``videos-contract mock`` process, timed from the create to the downloaded content:

- ``manual clock + control routes``: ``--clock manual``; create, retrieve (queued), set progress 50
  (``POST /_mock/videos/{id}/progress``), retrieve (in_progress 50), complete
  (``POST /_mock/videos/{id}/complete``), ``poll()``, download. What tests/mock/test_mock_clock.py does.
- ``manual clock + --advance-per-poll 3``: ``create_and_poll`` (4 polls, 5 ms apart as the server
  advises), download.
- ``wall clock, --job-seconds 1`` (the default server): ``create_and_poll`` as the SDK does it (it
  waits ``openai-poll-after-ms``, 100 ms), download: what a polling test waited before.

Printed: median, p90 and worst milliseconds per scenario (no timing assert anywhere: the numbers
go to docs/performance.md).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from contracts.embedded import EmbeddedServer  # noqa: E402


def control_routes(client, control: httpx.Client) -> None:
    video = client.videos.create(prompt="a polling test")
    assert client.videos.retrieve(video.id).status == "queued"
    control.post(f"/videos/{video.id}/progress", json={"progress": 50}).raise_for_status()
    assert client.videos.retrieve(video.id).progress == 50
    control.post(f"/videos/{video.id}/complete").raise_for_status()
    assert client.videos.poll(video.id, poll_interval_ms=1).status == "completed"
    client.videos.download_content(video.id).read()


def create_and_poll(client, control: httpx.Client) -> None:
    video = client.videos.create_and_poll(prompt="a polling test")
    assert video.status == "completed", video.status
    client.videos.download_content(video.id).read()


SCENARIOS = [
    ("manual clock + control routes", ["--clock", "manual"], control_routes),
    ("manual clock + --advance-per-poll 3", ["--clock", "manual", "--advance-per-poll", "3"], create_and_poll),
    ("wall clock, --job-seconds 1 (the default)", [], create_and_poll),
]


def main() -> int:
    import openai

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs of each scenario (default 50)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    print(f"mock_polling.py: {c.machine_line()}; source {c.ROOT} at {c.git_describe(c.ROOT)}", flush=True)
    rows, numbers = [], {}
    for name, options, scenario in SCENARIOS:
        runs = args.runs if options else max(3, args.runs // 10)  # the old way takes a second each
        with EmbeddedServer(job_seconds=1.0, extra_args=options) as server, \
                openai.OpenAI(base_url=server.base_url, api_key="sk-bench", max_retries=0) as client, \
                httpx.Client(base_url=server.base_url.removesuffix("/v1") + "/_mock") as control:
            scenario(client, control)  # warm-up: connections, the SDK's first-call costs
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                scenario(client, control)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        numbers[name] = times
        rows.append([name, runs, c.median(times), times[int(0.9 * (len(times) - 1))], times[-1]])
        print(f"  {name}: median {c.median(times):.1f} ms", flush=True)
    print(c.table(["scenario", "runs", "median ms", "p90 ms", "worst ms"], rows,
                  title="a polling test, create to downloaded content (openai SDK, loopback)"))
    print(f"\nload average at the end: {c.machine_line()}")
    return c.save_numbers("mock_polling", c.ROOT, {"runs": numbers})


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
