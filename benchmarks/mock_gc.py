"""Garbage-collection pauses of the in-memory mock while its store grows (in process, no HTTP).

    .venv/bin/python benchmarks/mock_gc.py                  # 120,000 creates, as the server runs
    .venv/bin/python benchmarks/mock_gc.py --no-freeze      # the same without the server's GC tuning
    .venv/bin/python benchmarks/mock_gc.py --jobs 240000

Creates jobs through the app's store (each with its Video object, the garbage a create makes) and
times every collection with ``gc.callbacks``: wall-clock and CPU time of the collecting thread
(the CPU time is the steadier number on a loaded machine). The server's tuning is
``contracts.mock.cli._tune_gc`` (freeze what survives start-up and each full collection).
"""

from __future__ import annotations

import argparse
import gc
import time

from contracts.mock.app import create_app
from contracts.mock.cli import _tune_gc
from contracts.mock.config import MockConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=120_000)
    parser.add_argument("--no-freeze", action="store_true", help="without the server's GC tuning")
    args = parser.parse_args()
    store = create_app(MockConfig(job_seconds=5)).state.store
    if not args.no_freeze:
        _tune_gc()
    pauses: dict[int, list[tuple[float, float]]] = {0: [], 1: [], 2: []}
    started = (0.0, 0.0)

    def timed(phase: str, info: dict) -> None:
        nonlocal started
        if phase == "start":
            started = (time.perf_counter(), time.thread_time())
        else:
            pauses[info["generation"]].append((time.perf_counter() - started[0], time.thread_time() - started[1]))

    gc.callbacks.insert(0, timed)
    began = time.perf_counter()
    for i in range(args.jobs):
        job = store.create(prompt=f"a calico cat, take {i}", model="sora-2", size="720x1280", seconds="4")
        job.video(store.now(), just_created=True)
    elapsed = time.perf_counter() - began
    gc.callbacks.remove(timed)
    label = "without tuning" if args.no_freeze else "as the server runs"
    print(f"{args.jobs:,} creates in {elapsed:.1f} s ({label}); objects left for a full collection: "
          f"{len(gc.get_objects(generation=2)):,}, frozen: {gc.get_freeze_count():,}")
    print("| generation | collections | max ms (wall) | max ms (CPU) | total ms (wall) |")
    print("|---|---:|---:|---:|---:|")
    for generation, times in pauses.items():
        wall = [w for w, _ in times] or [0.0]
        cpu = [c for _, c in times] or [0.0]
        print(f"| {generation} | {len(times)} | {max(wall) * 1e3:.1f} | {max(cpu) * 1e3:.1f} | {sum(wall) * 1e3:.0f} |")


if __name__ == "__main__":
    main()
