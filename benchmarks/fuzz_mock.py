"""Fuzz the reference server with schemathesis: every operation of spec/openapi.yaml, valid and invalid data.

    .venv/bin/python benchmarks/fuzz_mock.py                  # 300 cases per operation and mode (~1 min)
    .venv/bin/python benchmarks/fuzz_mock.py --examples 50 --seed 7
    .venv/bin/python benchmarks/fuzz_mock.py --store benchmarks/out/fuzz.db   # the mock on an SQLite store

Starts ``videos-contract mock`` (a real uvicorn process, with an API key and short jobs), makes a
completed video and a character, then draws cases for each operation with schemathesis, in its
positive and its negative generation mode, and sends each over HTTP. Half of the cases are steered
to real resources: a path id or a ``video`` id becomes the completed video (the character, for
``character_id``), an uploaded ``video`` file becomes a real MP4, and the undocumented fields
schemathesis adds are dropped. Without that, almost every case stops at a 404, a "not a video"
or an "unknown parameter" 400, and the fuzzing never reaches the rest of the handler.

Each answer is judged by schemathesis' checks (not_a_server_error, status_code_conformance,
content_type_conformance, response_schema_conformance: an error must be the documented
envelope) and by the mock's own promise (docs/mock.md): a 400 names the field at fault in
``param``, unless the body as a whole is unreadable. Prints a table per operation and mode (with
the invalid JSON and query cases, as drawn, that were answered 2xx: schemathesis'
negative_data_rejection), then each distinct failure with a reproducing curl command; exit code
1 if any.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

KEY = "sk-fuzz-mock"
# A negative multipart case is not counted as accepted: schemathesis sends a number, null or an
# object drawn for a text part as its text, a valid string on the wire (shared schemathesis notes).
MULTIPART = "multipart/form-data"
# Codes of a 400 about the body as a whole (nothing to name in ``param``): unparseable JSON or
# multipart, a JSON body that is not an object, an unreadable transfer.
WHOLE_BODY = {"invalid_json", "invalid_multipart", "client_disconnected", "invalid_header"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=300, help="cases per operation and mode (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="hypothesis seed (default 1)")
    parser.add_argument("--job-seconds", type=float, default=0.2, help="the mock's job duration (default 0.2)")
    parser.add_argument("--show", type=int, default=5, help="failures shown in full per operation (default 5)")
    parser.add_argument("--store", metavar="PATH", default=None,
                        help="run the mock with --store PATH (an SQLite file) instead of in memory")
    return parser.parse_args(argv)


class Steer:
    """Rewrites a drawn case so that it names resources that exist."""

    def __init__(self, http, mp4: bytes, rules):
        self.http, self.mp4, self.rules = http, mp4, rules
        self.completed = self._completed()
        character = http.post("/videos/characters", files={"name": (None, "Fuzz"), "video": ("f.mp4", mp4, "video/mp4")})
        if character.status_code != 200:
            raise c.BenchError(f"cannot make a character: {character.status_code} {character.text[:200]}")
        self.character = character.json()["id"]

    def _completed(self) -> str:
        created = self.http.post("/videos", json={"prompt": "fuzz source"})
        if created.status_code != 200:
            raise c.BenchError(f"cannot create a video: {created.status_code} {created.text[:200]}")
        video_id = created.json()["id"]
        while self.http.get(f"/videos/{video_id}").json()["status"] != "completed":
            time.sleep(0.05)
        return video_id

    def __call__(self, case) -> None:
        params = case.path_parameters or {}
        if "video_id" in params:
            # a delete gets a video of its own, so that the others keep their source
            params["video_id"] = self._fresh() if case.operation.method.upper() == "DELETE" else self.completed
        if "character_id" in params:
            params["character_id"] = self.character
        body = case.body
        if not isinstance(body, dict):
            return
        operation = (case.operation.method.upper(), case.operation.path)
        name = self.rules.request_schema(operation, case.media_type)
        documented = self.rules.spec.properties(name) if name else {}
        for key in [k for k in body if k not in documented]:  # schemathesis adds undocumented ones
            del body[key]
        if "video" in body:
            body["video"] = {"id": self.completed} if case.media_type == "application/json" else self.mp4
        if "video[id]" in body:
            body["video[id]"] = self.completed

    def _fresh(self) -> str:
        return self.http.post("/videos", json={"prompt": "to delete"}).json()["id"]


def own_failure(case, response) -> str | None:
    """The mock's own promise beyond the spec: a 400 names its field, unless the body is unreadable."""
    if response.status_code != 400 or case.body is None or type(case.body).__name__ == "NotSet":
        return None
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return "a 400 without the envelope"
    if error.get("param") is None and error.get("code") not in WHOLE_BODY and "request body" not in error.get("message", ""):
        return f"a 400 with param null (code {error.get('code')!r}: {error.get('message')!r})"
    return None


def _code(response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "(no envelope)"


def fuzz(schema, steer, base_url: str, mode: str, examples: int, seed: int) -> list[dict]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    headers = {"Authorization": f"Bearer {KEY}"}
    rows = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        statuses: Counter = Counter()
        codes: Counter = Counter()  # error codes answered
        accepted: list[str] = []  # invalid cases (as drawn, not steered) answered 2xx
        failures: dict[str, str] = {}  # signature -> curl
        steered = 0

        @settings(max_examples=examples, database=None, phases=[Phase.generate], deadline=None,
                  suppress_health_check=list(HealthCheck))
        @hypothesis_seed(seed)
        @given(operation.as_strategy(generation_mode=GenerationMode(mode)), st.booleans())
        def run(case, steer_it) -> None:
            nonlocal steered
            if steer_it:
                steer(case)
                steered += 1
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            statuses[response.status_code] += 1
            if response.status_code >= 400:
                codes[_code(response)] += 1
            problems = []
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except Exception as exc:  # noqa: BLE001 - schemathesis raises a group of check failures
                problems.append(" ".join(str(exc).split())[:300])
            mine = own_failure(case, response)
            if mine:
                problems.append(mine)
            for problem in problems:
                failures.setdefault(problem, case.as_curl_command(headers=headers))
            if mode == "negative" and not steer_it and response.status_code < 300 and case.media_type != MULTIPART:
                accepted.append(case.as_curl_command(headers=headers))

        try:
            run()
        except Unsatisfiable:  # nothing of it can be made invalid (e.g. a free-form path id) but the key
            pass
        rows.append({"operation": label, "mode": mode, "cases": sum(statuses.values()), "steered": steered,
                     "statuses": statuses, "codes": codes, "failures": failures,
                     "accepted": accepted})
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    import httpx
    import schemathesis

    from contracts.embedded import EmbeddedServer
    from contracts.rules import Rules
    from contracts.spec import load_spec

    mp4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()
    print(f"fuzz_mock.py: {c.machine_line()}; source {c.ROOT} at {c.git_describe(c.ROOT)}; "
          f"schemathesis {schemathesis.__version__}; {args.examples} cases per operation and mode, seed {args.seed}; "
          f"store {args.store or 'in memory'}",
          flush=True)
    rows = []
    extra = ["--store", args.store] if args.store else []
    with EmbeddedServer(api_key=KEY, job_seconds=args.job_seconds, extra_args=extra) as server:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as http:
            steer = Steer(http, mp4, Rules.from_spec(load_spec()))
            schema = schemathesis.openapi.from_path(str(c.ROOT / "spec" / "openapi.yaml"))
            # Invalid data in the fields, not in the Authorization header (a 401 stops at the door);
            # no undocumented fields in valid cases (the mock refuses unknown parameters, as OpenAI does).
            schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
            for mode in ("positive", "negative"):
                rows += fuzz(schema, steer, server.base_url, mode, args.examples, args.seed)
                print(f"  {mode}: done", flush=True)
        alive = server.running
    print(c.table(["operation", "mode", "cases", "steered", "statuses", "most frequent error codes", "invalid accepted",
                   "failures"],
                  [[r["operation"], r["mode"], r["cases"], r["steered"],
                    " ".join(f"{s}x{n}" for s, n in sorted(r["statuses"].items())),
                    " ".join(f"{code}x{n}" for code, n in r["codes"].most_common(3)),
                    len(r["accepted"]) if r["mode"] == "negative" else "-", len(r["failures"])]
                   for r in rows]))
    print(f"\nthe server was {'still running' if alive else 'DEAD'} at the end")
    for r in rows:
        for curl in r["accepted"][: args.show]:
            print(f"\ninvalid case accepted ({r['operation']}):\n    {curl[:600]}")
    failed = [r for r in rows if r["failures"]]
    for r in failed:
        print(f"\n{r['operation']} ({r['mode']}): {len(r['failures'])} distinct failure(s)")
        for problem, curl in list(r["failures"].items())[: args.show]:
            print(f"  - {problem}\n    {curl[:600]}")
    return 1 if failed or not alive else 0


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
