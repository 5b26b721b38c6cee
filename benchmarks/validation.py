"""Validation cost per response, in microseconds, and how strict each validator is.

    .venv/bin/python benchmarks/validation.py           # about 30 s
    .venv/bin/python benchmarks/validation.py --quick   # about 3 s, rougher numbers

The spec's ``Video`` schema (every $ref inlined, as ``contracts.spec`` compiles it) validated by:
jsonschema's Draft202012Validator (is_valid, and iter_errors on invalid instances),
jsonschema-rs (is_valid, iter_errors), fastjsonschema if importable (it is not a dependency: install
it into benchmarks/out/pydeps or the venv to include it), and the suite's own
``contracts.spec.SchemaValidator`` (errors() on valid and invalid instances). Then the cost of
everything the suite does with one response (JSON parse + every registered response check), and
of the spec look-ups those checks make.

A strictness table runs the same instances (each one probing one keyword: const, enum,
type [string, 'null'], anyOf with null, minimum/maximum, integer-valued floats, booleans as
integers, required, additionalProperties) through every validator; jsonschema is the reference.
Timings are the median over repetitions of timeit's auto-ranged loops, single-threaded.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

NOW = 1764000000
QUEUED = {"id": "video_68d7512d07848190b3e45da0ecbebcde", "object": "video", "model": "sora-2", "status": "queued",
          "progress": 0, "created_at": NOW, "completed_at": None, "expires_at": None,
          "prompt": "A calico cat playing a piano on stage", "remixed_from_video_id": None, "seconds": "4",
          "size": "720x1280", "error": None}
COMPLETED = {**QUEUED, "status": "completed", "progress": 100, "completed_at": NOW + 60, "expires_at": NOW + 3660}
FAILED = {**QUEUED, "status": "failed", "error": {"code": "moderation_blocked", "message": "blocked"}}


def _without(video: dict, key: str) -> dict:
    return {k: v for k, v in video.items() if k != key}


# (name, instance, valid per the 2020-12 spec); the last column is checked against jsonschema.
CASES = [
    ("queued video", QUEUED, True),
    ("completed video", COMPLETED, True),
    ("failed video with error object", FAILED, True),
    ("extra field (additionalProperties: true)", {**QUEUED, "extra": 1}, True),
    ("prompt null (type [string, 'null'])", {**QUEUED, "prompt": None}, True),
    ("progress 50.0 (an integer in 2020-12)", {**QUEUED, "progress": 50.0}, True),
    ("object 'videos' (const)", {**QUEUED, "object": "videos"}, False),
    ("status 'done' (enum)", {**QUEUED, "status": "done"}, False),
    ("size '640x480' (enum)", {**QUEUED, "size": "640x480"}, False),
    ("prompt 5 (type [string, 'null'])", {**QUEUED, "prompt": 5}, False),
    ("completed_at -1 (anyOf: minimum 0 or null)", {**QUEUED, "completed_at": -1}, False),
    ("completed_at '2025' (anyOf)", {**QUEUED, "completed_at": "2025"}, False),
    ("progress 101 (maximum)", {**QUEUED, "progress": 101}, False),
    ("progress 50.5 (not an integer)", {**QUEUED, "progress": 50.5}, False),
    ("progress true (a boolean is not an integer)", {**QUEUED, "progress": True}, False),
    ("created_at in ms as float 1.764e12 (integer-valued)", {**QUEUED, "created_at": 1.764e12}, True),
    ("error missing (required)", _without(QUEUED, "error"), False),
    ("error {} (required code, message)", {**QUEUED, "error": {}}, False),
    ("id '' (minLength 1)", {**QUEUED, "id": ""}, False),
    ("not an object", [QUEUED], False),
]
# 2020-12 keywords that the Video schema does not use today: does each validator enforce them?
KEYWORD_PROBES = [
    ("prefixItems", {"type": "array", "prefixItems": [{"type": "integer"}]}, ["x"]),
    ("dependentRequired", {"type": "object", "dependentRequired": {"a": ["b"]}}, {"a": 1}),
    ("unevaluatedProperties", {"type": "object", "properties": {"a": {}}, "unevaluatedProperties": False}, {"z": 1}),
]
INVALID_FOR_TIMING = {**QUEUED, "status": "done", "progress": "50"}  # two errors


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="loops of ~20 ms, 3 repetitions")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per timing (median; default 5)")
    parser.add_argument("--source", type=Path, default=c.ROOT, help="the checkout whose `contracts` is measured")
    parser.add_argument("--rev", default=None, help="measure the committed tree at REV (a clean snapshot)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 3
    return args


def per_call_us(func, repeat: int, quick: bool) -> float:
    timer = timeit.Timer(func)
    if quick:  # loops of about 20 ms
        once = timer.timeit(number=10) / 10
        number = max(1, int(0.02 / max(once, 1e-7)))
    else:
        number, _ = timer.autorange()  # loops taking at least 0.2 s
    return c.median(t / number for t in timer.repeat(repeat=repeat, number=number)) * 1e6


def load_fastjsonschema():
    sys.path.append(str(c.PYDEPS))  # after the venv: a copy in the venv wins
    try:
        import fastjsonschema
    except ImportError:
        return None
    return fastjsonschema


def main(argv=None) -> int:
    args = parse_args(argv)
    args.source = c.resolve_source(args.source, args.rev)
    sys.path.insert(0, str(args.source))
    import jsonschema
    import jsonschema_rs

    import contracts
    from contracts.spec import SchemaValidator, load_spec

    if not str(Path(contracts.__file__).resolve()).startswith(str(args.source)):
        raise c.BenchError(f"imported contracts from {contracts.__file__}, not from {args.source}")
    spec = load_spec(args.source / "spec" / "openapi.yaml")
    schema = spec.schema("Video")
    fast = load_fastjsonschema()
    print(f"validation.py: {c.machine_line()}; source {args.source} at {c.git_describe(args.source)}")
    print(f"jsonschema {_version('jsonschema')}, "
          f"jsonschema-rs {_version('jsonschema_rs')}, "
          f"fastjsonschema {fast.VERSION if fast else 'not importable (pip install --target benchmarks/out/pydeps fastjsonschema)'}",
          flush=True)

    js = jsonschema.Draft202012Validator(schema)
    rs = jsonschema_rs.Draft202012Validator(schema)
    ours = SchemaValidator("Video", schema)
    fast_fn, fast_note = None, ""
    if fast:
        try:
            fast_fn = fast.compile(schema)
        except Exception as exc:  # noqa: BLE001 - report whatever it raises
            fast_note = f"compile failed: {exc}"
        schema_2020 = {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema"}
        try:
            fast.compile(schema_2020)
            fast_note = fast_note or ("compiles a schema that declares 2020-12 without a word (and validates it "
                                      "by its draft-7 rules)")
        except Exception as exc:  # noqa: BLE001
            fast_note = fast_note or f"refuses a 2020-12 $schema: {type(exc).__name__}: {exc}"

    def fast_valid(x):
        try:
            fast_fn(x)
            return True
        except fast.JsonSchemaValueException:
            return False

    # ---- strictness ----
    validators = {"jsonschema": js.is_valid, "jsonschema-rs": rs.is_valid, "SchemaValidator": ours.is_valid}
    if fast_fn:
        validators["fastjsonschema"] = fast_valid
    rows, disagreements = [], []
    for name, instance, expected in CASES:
        verdicts = {k: v(copy.deepcopy(instance)) for k, v in validators.items()}
        if verdicts["jsonschema"] != expected:
            disagreements.append(f"jsonschema itself says {verdicts['jsonschema']} on {name!r} (expected {expected})")
        for k, v in verdicts.items():
            if v != verdicts["jsonschema"]:
                disagreements.append(f"{k} says {'valid' if v else 'invalid'} on {name!r}, jsonschema the opposite")
        rows.append([name, *("valid" if verdicts[k] else "invalid" for k in validators)])
    strictness = [list(r) for r in rows]
    print(c.table(["instance", *validators], rows, title="Strictness on the Video schema (jsonschema is the reference)"))
    print("  all validators agree on every instance" if not disagreements else "  " + "\n  ".join(disagreements))
    if fast:
        print(f"  fastjsonschema: {fast_note}; it implements drafts 4, 6 and 7 only:")
        for keyword, probe, instance in KEYWORD_PROBES:
            probe = {"$schema": "https://json-schema.org/draft/2020-12/schema", **probe}
            reference = jsonschema.Draft202012Validator(probe).is_valid(instance)
            try:
                fast.compile(probe)(instance)
                verdict = "accepts it (keyword ignored)"
            except fast.JsonSchemaValueException:
                verdict = "rejects it too"
            print(f"    {keyword}: jsonschema {'accepts' if reference else 'rejects'} {instance!r}, fastjsonschema {verdict}")

    # ---- cost ----
    valid, invalid = COMPLETED, INVALID_FOR_TIMING
    timings = [
        ("jsonschema Draft202012Validator.is_valid", "valid", lambda: js.is_valid(valid)),
        ("jsonschema Draft202012Validator.is_valid", "invalid", lambda: js.is_valid(invalid)),
        ("jsonschema iter_errors (all errors)", "invalid", lambda: list(js.iter_errors(invalid))),
        ("jsonschema-rs is_valid", "valid", lambda: rs.is_valid(valid)),
        ("jsonschema-rs is_valid", "invalid", lambda: rs.is_valid(invalid)),
        ("jsonschema-rs iter_errors (all errors)", "invalid", lambda: list(rs.iter_errors(invalid))),
    ]
    if fast_fn:
        timings += [("fastjsonschema compiled (raises on invalid)", "valid", lambda: fast_valid(valid)),
                    ("fastjsonschema compiled (raises on invalid)", "invalid", lambda: fast_valid(invalid))]
    timings += [
        ("contracts SchemaValidator.errors()", "valid", lambda: ours.errors(valid)),
        ("contracts SchemaValidator.errors()", "invalid", lambda: ours.errors(invalid)),
    ]
    timings += response_pipeline(spec, args)
    rows = []
    for name, kind, func in timings:
        rows.append([name, kind, per_call_us(func, args.repeat, args.quick)])
        print(f"  {name} ({kind}): {rows[-1][-1]:.1f} µs", flush=True)
    print(c.table(["operation", "instance", "µs per call"], rows,
                  title=f"Cost per call (median of {args.repeat} repetitions)"))
    return c.save_numbers("validation", args.source, {"validators": list(validators), "strictness": strictness,
                                                      "disagreements": disagreements, "fastjsonschema": fast_note,
                                                      "timings_us": {f"{n} ({k})": v for n, k, v in rows}})


def response_pipeline(spec, args) -> list:
    """What the suite does with one 200 Video answer: parse it and run every response check."""
    import httpx

    from contracts import cases
    from contracts.checks import REGISTRY, run_checks
    from contracts.client import Client, Response
    from contracts.context import RunContext
    from contracts.options import RunOptions
    from contracts.rules import Rules
    from contracts.types import Exchange, RecordedRequest

    options = RunOptions(base_url="http://127.0.0.1:9/v1")
    client = Client(options)
    ctx = RunContext(spec=spec, rules=Rules.from_spec(spec), client=client, options=options)
    case = cases.call("retrieve", "GET", "/videos/{video_id}", COMPLETED["id"])
    body = json.dumps(COMPLETED).encode()
    headers = httpx.Headers({"content-type": "application/json", "date": "Tue, 25 Nov 2025 10:00:00 GMT",
                             "openai-poll-after-ms": "100"})
    error_body = json.dumps({"error": {"message": "No video", "type": "invalid_request_error", "param": "video_id",
                                       "code": "video_not_found"}}).encode()

    def response(status: int, payload: bytes) -> Response:
        exchange = Exchange(request=RecordedRequest("GET", "http://127.0.0.1:9/v1/videos/x", {}))
        return Response(status, headers, payload, exchange)

    def checks_200():
        run_checks(ctx, response(200, body), case)

    def checks_404():
        run_checks(ctx, response(404, error_body), case)

    print(f"  ({len(REGISTRY)} response checks registered)", flush=True)
    client.close()
    return [
        ("json.loads of the Video body", "valid", lambda: json.loads(body)),
        (f"run_checks: all {len(REGISTRY)} response checks, 200 Video", "valid", checks_200),
        (f"run_checks: all {len(REGISTRY)} response checks, 404 error", "error", checks_404),
        ("  of which spec.status_is_documented", "-", lambda: spec.status_is_documented("GET", "/videos/{video_id}", 200)),
        ("  of which spec.response_content_types", "-",
         lambda: spec.response_content_types("GET", "/videos/{video_id}", 200)),
        ("  of which spec.response_schema_name", "-", lambda: spec.response_schema_name("GET", "/videos/{video_id}", 200)),
        ("  of which spec.validator('Video').errors", "valid", lambda: spec.validator("Video").errors(COMPLETED)),
    ]


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist.replace("_", "-"))
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
