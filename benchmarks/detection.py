"""Detection table: the suite against every fault mode and clean variant of the reference server.

    .venv/bin/python benchmarks/detection.py                 # every mode, one run each (~40 s on 2 cores)
    .venv/bin/python benchmarks/detection.py --repeat 5      # flakiness: how often each mode is detected
    .venv/bin/python benchmarks/detection.py --only seconds-integer,extra-fields
    .venv/bin/python benchmarks/detection.py --markdown      # the table of docs/faults.md
    .venv/bin/python benchmarks/detection.py --personas --markdown   # the persona table of docs/faults.md

For each mode: a real server (``python -m contracts.mock --fault NAME``, uvicorn, loopback, an API
key) and a real run of the suite (the engine in-process, a user's default options, jobs of 0.2 s, request
timeout 2 s, job timeout 3 s; see contracts/detection.py). Columns:

* verdict: a fault is ``caught`` when the run exits 1 with all its clauses failed, ``partly``
  when it exits 1 without all of them, ``MISSED`` when it exits 0; a clean variant is ``passes``
  or ``FALSE ALARM``.
* until detection: requests sent and seconds elapsed when the first of the fault's clauses first
  failed (else the first clause to fail), as the engine records it (``first_failure``).
* run: the whole run's seconds (server start excluded) and requests.
With --repeat N the verdict becomes "caught k/N" and the numbers are medians.

With --personas, each persona (``contracts.mock.personas``: several faults at once) instead, and
its columns: the declared root causes, the clauses that failed (``= root causes`` when exactly
those, else what differs), the blocked clauses, and the run's requests and seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.detection import Outcome, default_workers, run_many  # noqa: E402
from contracts.mock.faults import CATALOGUE  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated mode names (default: all)")
    parser.add_argument("--faults-only", action="store_true", help="leave out the clean variants")
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode (default 1)")
    parser.add_argument("--workers", type=int, default=default_workers(), help="parallel runs (default %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", metavar="FILE", help="also write every outcome as JSON")
    parser.add_argument("--personas", action="store_true", help="run the personas instead of the single faults")
    return parser.parse_args(argv)


def verdict(runs: list[Outcome]) -> str:
    first = runs[0]
    if any(r.error for r in runs):
        return "ERROR"
    if first.kind == "clean":
        alarms = sum(r.exit_code != 0 for r in runs)
        return "passes" if not alarms else (f"FALSE ALARM {alarms}/{len(runs)}" if len(runs) > 1 else "FALSE ALARM")
    caught = sum(r.exit_code == 1 and not r.missing for r in runs)
    partly = sum(r.exit_code == 1 and bool(r.missing) for r in runs)
    if len(runs) == 1:
        return "caught" if caught else "partly" if partly else "MISSED"
    return f"caught {caught}/{len(runs)}" + (f", partly {partly}" if partly else "")


def clauses(runs: list[Outcome]) -> str:
    first = runs[0]
    if first.kind == "clean":
        failed = sorted({c for r in runs for c in r.failed})
        return ", ".join(failed) if failed else "-"
    hit = [c for c in first.expected if any(c in r.failed for r in runs)]
    others = len({c for r in runs for c in r.failed} - set(first.expected))
    text = ", ".join(hit) if hit else "-"
    return text + (f" (+{others} more)" if others else "")


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def row(runs: list[Outcome]) -> list[str]:
    hits = [r.detection for r in runs if r.detection]
    requests = median([h[0] for h in hits])
    seconds = median([h[1] for h in hits])
    return [
        runs[0].name,
        runs[0].kind,
        verdict(runs),
        clauses(runs),
        "-" if requests is None else f"{requests:g}",
        "-" if seconds is None else f"{seconds:.2f}",
        f"{median([r.seconds for r in runs]):.2f}",
        f"{median([r.requests for r in runs]):g}",
    ]


HEADER = ["mode", "kind", "verdict", "clauses failed", "requests to detect", "s to detect", "run s", "run requests"]


def print_table(rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "|".join("---" for _ in HEADER) + "|")
        for cells in rows:
            print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    widths[3] = min(widths[3], 70)
    print("  ".join(h.ljust(w) for h, w in zip(HEADER, widths)))
    for cells in rows:
        cells = [*cells[:3], cells[3] if len(cells[3]) <= 70 else cells[3][:67] + "...", *cells[4:]]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)))


PERSONA_HEADER = ["persona", "faults", "root causes", "failed", "blocked", "not verified", "requests", "seconds"]


def _ids(ids) -> str:
    return ", ".join(f"`{cid}`" for cid in ids) or "-"


def persona_row(outcome: Outcome, persona) -> list[str]:
    if outcome.error:
        return [outcome.name, str(len(persona.faults)), _ids(persona.root_causes), "ERROR: " + outcome.error,
                "-", "-", "-", "-"]
    extra = [c for c in outcome.failed if c not in persona.root_causes]
    missing = [c for c in persona.root_causes if c not in outcome.failed]
    failed = "= root causes" if not extra and not missing else (
        f"{len(outcome.failed)}: " + "; ".join(p for p in (f"also {_ids(extra)}" if extra else "",
                                                          f"not {_ids(missing)}" if missing else "") if p))
    blocked = _ids(outcome.blocked)
    if sorted(outcome.blocked) != sorted(persona.blocked):
        blocked += f" (declared: {_ids(persona.blocked)})"
    return [outcome.name, str(len(persona.faults)), _ids(persona.root_causes), failed, blocked,
            str(len(outcome.not_verified)), str(outcome.requests), f"{outcome.seconds:.1f}"]


def chosen(only: str, known: dict, what: str) -> list[str] | None:
    """The names of a comma-separated --only (all ``known`` when empty); None after saying which are unknown."""
    names = [n.strip() for n in only.split(",") if n.strip()] or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown {what}(s): {', '.join(unknown)}", file=sys.stderr)
        return None
    return names


def personas_main(args: argparse.Namespace) -> int:
    from contracts.mock.personas import PERSONAS

    names = chosen(args.only, PERSONAS, "persona")
    if names is None:
        return 2
    started = time.monotonic()
    outcomes = run_many(names, workers=args.workers, persona=True)
    wall = time.monotonic() - started
    rows = [persona_row(o, PERSONAS[o.name]) for o in outcomes]
    if args.markdown:
        print("| " + " | ".join(PERSONA_HEADER) + " |")
        print("|" + "|".join("---" for _ in PERSONA_HEADER) + "|")
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
    else:
        for cells in rows:
            print("\n".join(f"{h:>13}: {c.replace('`', '')}" for h, c in zip(PERSONA_HEADER, cells)) + "\n")
    exact = sum(r[3] == "= root causes" for r in rows)
    print()
    print(f"{len(rows)} personas: {exact} graded exactly (failed = declared root causes). "
          f"{len(rows)} runs in {wall:.1f} s with {args.workers} workers.")
    if args.json:
        Path(args.json).write_text(json.dumps({o.name: vars(o) for o in outcomes}, indent=1, default=list))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.personas:
        return personas_main(args)
    names = chosen(args.only, CATALOGUE, "mode")
    if names is None:
        return 2
    if args.faults_only:
        names = [n for n in names if not CATALOGUE[n].clean]
    started = time.monotonic()
    runs: dict[str, list[Outcome]] = {name: [] for name in names}
    for _ in range(args.repeat):
        for outcome in run_many(names, workers=args.workers):
            runs[outcome.name].append(outcome)
    wall = time.monotonic() - started
    rows = [row(runs[name]) for name in names]
    print_table(rows, args.markdown)

    faults = [r for r in rows if r[1] == "fault"]
    clean = [r for r in rows if r[1] == "clean"]
    caught = sum(r[2].startswith("caught") and "/" not in r[2] or r[2] == f"caught {args.repeat}/{args.repeat}"
                 for r in faults)
    alarms = sum("FALSE ALARM" in r[2] for r in clean)
    print()
    print(f"{len(faults)} faults: {caught} always caught; {len(clean)} clean variants: {alarms} false alarms. "
          f"{len(names) * args.repeat} runs in {wall:.1f} s with {args.workers} workers.")
    missed = [r[0] + " (" + r[2] + ")" for r in faults if not (r[2] == "caught" or r[2] == f"caught {args.repeat}/"
                                                                 f"{args.repeat}")]
    if missed:
        print("Not always caught: " + ", ".join(missed))
    if args.json:
        Path(args.json).write_text(json.dumps({n: [vars(o) for o in rs] for n, rs in runs.items()}, indent=1,
                                              default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
