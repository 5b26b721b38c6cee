"""The command line as a user meets it: exit codes, one-line errors, reports, baselines, secrets."""

from __future__ import annotations

import json
import re
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cli_helpers import cli

from contracts.embedded import EmbeddedServer

SECRET = "sk-cli-test-" + "s" * 40
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--base-url", "http://127.0.0.1:1/v1"], "cannot reach the target"),
        (["run", "--base-url", "ftp://x"], "--base-url must be an http(s) URL"),
        (["run", "--examples", "many"], "--examples takes a whole number"),
        (["run", "--max-creates", "0"], "--max-creates must be at least 1"),
        (["run", "--budget", "-5"], "--budget must be at least"),
        (["run", "--color", "pink"], "invalid choice: 'pink'"),
        (["run", "--profile", "/nonexistent.toml"], "cannot read the profile"),
        (["run", "--baseline", "/nonexistent.json"], "baseline"),
        (["run", "--operations", "create,retrieve,edit"], "argument --operations: unknown operation 'edit'"),
        (["run", "--operations", "list,edits"], "argument --operations: must include create and retrieve"),
        (["diff", "/nonexistent-a.json", "/nonexistent-b.json"], "not found"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required"),
    ],
    ids=["unreachable", "bad-url", "examples-nan", "max-creates-0", "budget-negative", "color", "profile-missing",
         "baseline-missing", "operations-unknown", "operations-without-core", "diff-missing", "unknown-command", "no-command"],
)
def test_usage_and_setup_errors_exit_2_with_one_clear_line(args, message, tmp_path):
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    for flag in re.findall(r"--[a-z-]+", done.stderr):
        assert done.stderr.count(flag + ":") <= 1, f"{flag} named twice: {done.stderr}"


@pytest.mark.parametrize(("args", "message"), [
    (["--header", "X-Route videos"], "--header: takes 'Name: Value', got 'X-Route videos'"),
    (["--header", "Authorization: Bearer x"], "--header Authorization: the key goes in --api-key"),
    (["--api-key-header", "api key"], "--api-key-header: 'api key' is not a header name"),
    (["--include", "teleport.*"], "--include: 'teleport.*' matches no clause"),
    (["--exclude", "*"], "leave no clause to judge"),
], ids=["header-without-colon", "header-authorization", "key-header-name", "include-matches-nothing",
        "exclude-everything"])
def test_bad_headers_and_selections_exit_2_before_anything_starts(args, message, capsys):
    # in process (the same main() the command runs): the error comes before any server is started
    from contracts.cli import main

    try:
        code = main(["run", *args])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err.splitlines()[-1], err
    assert "Traceback" not in err


def test_a_bad_profile_names_the_key(tmp_path):
    profile = tmp_path / "bad.toml"
    profile.write_text('name = "x"\nseconds = [5]\n')
    done = cli("run", "--profile", str(profile), cwd=tmp_path)
    assert done.returncode == 2 and "'seconds'" in done.stderr and 'write "5"' in done.stderr


@pytest.mark.slow
def test_a_relative_profile_path_works_with_the_embedded_server(tmp_path):
    """The path is the user's (relative to where they run): the embedded server, which runs in the
    package's own folder, gets it resolved."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "wan22.toml").write_text((ROOT / "profiles" / "wan22.toml").read_text())
    done = cli("run", "--quiet", "--examples", "2", "--profile", "profiles/wan22.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads((tmp_path / "reports" / "conformance.json").read_text())["profile"] == "wan22"


def test_clauses_lists_the_catalogue():
    from contracts.clauses import CLAUSES

    done = cli("clauses")
    assert done.returncode == 0
    assert all(cid in done.stdout for cid in CLAUSES)


def cli_into_closed_pipe(*args: str, cwd: Path | None = None, env: dict | None = None):
    """The command with stdout a pipe whose reader has already left (``| head`` once head is done):
    every write to it fails, deterministically."""
    read, write = os.pipe()
    os.close(read)
    full_env = {**{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}, **(env or {})}
    try:
        return subprocess.run([sys.executable, "-m", "contracts.cli", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=cwd, env=full_env)
    finally:
        os.close(write)


@pytest.mark.parametrize(("args", "code"), [
    pytest.param(["clauses"], 0, id="clauses"),
    pytest.param(["run", "--quiet", "--examples", "0"], 0, id="run", marks=pytest.mark.slow),
    pytest.param(["mock", "--list-faults"], 0, id="mock-list"),
])
def test_a_reader_that_leaves_early_is_not_an_error(args, code, tmp_path):
    done = cli_into_closed_pipe(*args, cwd=tmp_path)
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr[-2000:]
    if args[0] == "run":  # the run went on to its end: its reports are written
        assert (tmp_path / "reports" / "conformance.json").is_file()


@pytest.mark.parametrize("command", [
    pytest.param("videos-contract clauses | head -1", id="clauses", marks=pytest.mark.slow),
    pytest.param("videos-contract run --quiet | head -1", id="run", marks=pytest.mark.slow),
])
def test_piped_into_head_as_a_user_types_it(command, tmp_path):
    bindir = Path(sys.executable).parent
    assert (bindir / "videos-contract").exists(), "the venv's videos-contract script"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120, env={**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]


@pytest.fixture(scope="module")
def conforming_run(tmp_path_factory):
    """One real run against the embedded server, with a key in the environment."""
    work = tmp_path_factory.mktemp("run")
    # as a user runs it: no hypothesis storage said, cases drawn afresh (the kit's cache in a folder of its own)
    done = cli("run", "--quiet", "--examples", "5", "--report-dir", "out", "--write-baseline", "baseline.json",
               "--target-name", "acme-video", "--target-version", "2.1.0", cwd=work,
               env={"OPENAI_API_KEY": SECRET, "HYPOTHESIS_STORAGE_DIRECTORY": "",
                    "VIDEOS_CONTRACT_CACHE": str(tmp_path_factory.mktemp("cache"))})
    return work, done


@pytest.mark.slow
def test_the_embedded_run_conforms_and_writes_reports(conforming_run):
    work, done = conforming_run
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert {p.name for p in (work / "out").iterdir()} >= {"conformance.json", "conformance.html", "junit.xml",
                                                          "summary.md", "badge.svg"}
    assert "Verdict: PASS" in done.stdout
    report = json.loads((work / "out" / "conformance.json").read_text())
    assert report["embedded"] is True and report["counts"]["failed"] == 0
    # nothing but what was asked for in the folder it ran in (no .hypothesis/, no .schemathesis/)
    assert sorted(p.name for p in work.iterdir()) == ["baseline.json", "out"]
    # what was graded, and how, recorded in every report
    assert (report["target_name"], report["target_version"]) == ("acme-video", "2.1.0")
    assert done.stdout.splitlines()[0].startswith("Videos API conformance: acme-video 2.1.0 at http://127.0.0.1:")
    for name in ("conformance.html", "junit.xml", "summary.md", "badge.svg"):
        assert "acme-video" in (work / "out" / name).read_text(), name


@pytest.mark.slow
def test_the_key_appears_in_no_output(conforming_run, tmp_path):
    work, done = conforming_run
    # The embedded server gets its own key; run once more against it with the secret as the key.
    with EmbeddedServer(api_key=SECRET, job_seconds=0.2) as server:
        again = cli("run", "--quiet", "--examples", "3", "--base-url", server.base_url, "--max-creates", "200",
                    "--report-dir", str(tmp_path / "out"), env={"OPENAI_API_KEY": SECRET})
    assert again.returncode == 0, again.stdout[-2000:]
    outputs = [again.stdout, again.stderr] + [p.read_text() for p in (tmp_path / "out").iterdir()]
    assert not any(SECRET in text for text in outputs)


@pytest.mark.parametrize(("key", "message"), [(None, "requires an API key"), ("sk-wrong", "refused the API key")],
                         ids=["no-key", "wrong-key"])
def test_a_run_without_the_right_key_is_a_setup_error(key, message, tmp_path):
    with EmbeddedServer(api_key=SECRET, job_seconds=0.2) as server:
        done = cli("run", "--quiet", "--base-url", server.base_url, cwd=tmp_path,
                   env={"OPENAI_API_KEY": key} if key else None)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_an_unwritable_report_dir_is_said_before_a_job_is_spent(tmp_path):
    with EmbeddedServer(job_seconds=0.2) as server:
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        done = cli("run", "--quiet", "--base-url", server.base_url, "--report-dir", str(blocker / "r"), cwd=tmp_path)
        listed = httpx.get(f"{server.base_url}/videos").json()["data"]
    assert done.returncode == 2 and done.stderr.strip() == (
        f"videos-contract: error: cannot write reports to {blocker / 'r'}: Not a directory"), done.stderr
    assert listed == []


@pytest.mark.slow
def test_a_base_url_without_v1_is_a_setup_error_with_the_fix(tmp_path):
    """Every route answering 404 is the base URL's fault, not 67 blocked clauses of the server's."""
    with EmbeddedServer(job_seconds=0.2) as server:
        root = server.base_url.removesuffix("/v1")
        done = cli("run", "--quiet", "--base-url", root, cwd=tmp_path)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"did you mean {root}/v1?" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow
def test_diff_of_a_report_with_itself_has_no_regressions(conforming_run):
    work, _ = conforming_run
    report = str(work / "out" / "conformance.json")
    done = cli("diff", report, report)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_clean_baseline_gates_nothing(conforming_run, tmp_path):
    work, _ = conforming_run
    baseline = json.loads((work / "baseline.json").read_text())
    assert isinstance(baseline, dict)
    done = cli("run", "--quiet", "--examples", "0", "--baseline", str(work / "baseline.json"), "--report-dir", "out",
               cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]


@pytest.mark.slow  # a process per subcommand (a second or more)
def test_help_of_every_subcommand_is_complete():
    for command in ("run", "mock", "diff", "clauses"):
        done = cli(command, "--help")
        assert done.returncode == 0 and "usage: videos-contract" in done.stdout
    run_help = cli("run", "--help").stdout
    for option in ("--base-url", "--api-key", "--profile", "--max-creates", "--budget", "--report-dir", "--baseline", "--strict",
                   "--write-baseline", "--examples", "--seed", "--header", "--api-key-header", "--include", "--exclude",
                   "--target-name", "--target-version"):
        assert option in run_help


MAX_CREATES_DEFAULT = re.compile(r"\+ (\d+) generated \+ (\d+) for a deviating target.*?: (\d+) for the documented "
                                 r"contract, (\d+) of them edits and extensions")


def test_the_default_of_max_creates_is_the_plans_in_help_and_readme():
    """One source for the number: contracts.plan. --help and the README say what the run applies."""
    from contracts import plan
    from contracts.rules import Rules

    expected = (plan.GENERATED_MARGIN, plan.DEVIATION_MARGIN, plan.default_max_creates(Rules.from_spec()),
                plan.DERIVED_JOBS)
    run_help = " ".join(cli("run", "--help").stdout.split())
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `--max-creates N`"))
    for where, text in (("run --help", run_help), ("README", row)):
        found = MAX_CREATES_DEFAULT.search(text)
        assert found, f"{where} does not state --max-creates' default: {text[:300]}"
        assert tuple(map(int, found.groups())) == expected, where


def _schema_errors(report_dir: Path) -> list[str]:
    from contracts.report import schema_errors

    return schema_errors(json.loads((report_dir / "conformance.json").read_text()))


@pytest.mark.slow
def test_a_spent_budget_stops_the_run_with_valid_reports(tmp_path):
    with EmbeddedServer(api_key=SECRET, job_seconds=0.2, extra_args=["--fault", "slow-responses"]) as server:
        done = cli("run", "--quiet", "--base-url", server.base_url, "--budget", "2", "--report-dir", "out",
                   cwd=tmp_path, env={"OPENAI_API_KEY": SECRET})
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert report["interrupted_kind"] == "budget" and report["outcome"] == "interrupted"
    assert any(c["verdict"] == "not_verified" and "not reached" in (c["note"] or "") for c in report["clauses"])
    assert _schema_errors(tmp_path / "out") == []


@pytest.mark.slow
def test_ctrl_c_stops_the_run_with_valid_reports(tmp_path):
    import signal

    with EmbeddedServer(api_key=SECRET, job_seconds=0.2, extra_args=["--fault", "slow-responses"]) as server:
        env = {**{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}, "OPENAI_API_KEY": SECRET}
        process = subprocess.Popen([sys.executable, "-m", "contracts.cli", "run", "--base-url",
                                    server.base_url, "--report-dir", "out"], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   # as in a terminal: Ctrl-C enabled even if this test runs in the background
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        # The signal comes once the run says it is well into its steps (its progress log on stderr).
        started = []
        while not started or ("invalid creates" not in started[-1] and started[-1]):
            started.append(process.stderr.readline())
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        stderr = "".join(started) + stderr
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert report["interrupted_kind"] == "ctrl-c"
    assert _schema_errors(tmp_path / "out") == []
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_an_external_run_respects_max_creates_and_leaves_nothing_behind(tmp_path):
    import httpx

    with EmbeddedServer(api_key=SECRET, job_seconds=0.2) as server:
        done = cli("run", "--quiet", "--base-url", server.base_url, "--max-creates", "6", "--report-dir", "out",
                   cwd=tmp_path, env={"OPENAI_API_KEY": SECRET})
        left = httpx.get(f"{server.base_url}/videos", params={"limit": 100},
                         headers={"Authorization": f"Bearer {SECRET}"}).json()
    assert done.returncode == 0, done.stdout[-2000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert 0 < report["videos_created"] <= 6
    assert left["data"] == [] and report["videos_left"] == []
    assert "stay on the target" not in done.stdout
    # Honest coverage: a clause one of whose planned cases was not sent is not verified, never passed.
    capped = [c for c in report["clauses"] if "--max-creates (6) reached" in (c["note"] or "")]
    assert capped, "the cap should leave some clauses not verified, with the reason"
    assert {c["verdict"] for c in capped} <= {"not_verified", "failed"}
    assert all(re.search(r"^not verified: \d+ of \d+ cases sent, --max-creates \(6\) reached; not sent: '", c["note"])
               for c in capped), [c["note"] for c in capped]


@pytest.mark.slow
@pytest.mark.parametrize(("server_args", "run_args", "why"), [
    (["--fault", "no-delete-route"], [], "the target did not confirm their delete"),
    ([], ["--operations", "create,retrieve,list,content,remix,edits,extensions,characters"],
     "delete is not offered (--operations or the profile's operations)"),
], ids=["no-delete-route", "delete-not-offered"])
def test_videos_a_run_cannot_delete_are_named_with_their_ids(server_args, run_args, why, tmp_path):
    import httpx

    with EmbeddedServer(api_key=SECRET, job_seconds=0.2, extra_args=server_args) as server:
        done = cli("run", "--quiet", "--examples", "2", "--base-url", server.base_url, *run_args, "--report-dir", "out",
                   "--color", "never", cwd=tmp_path, env={"OPENAI_API_KEY": SECRET})
        on_server = {v["id"] for v in httpx.get(f"{server.base_url}/videos", params={"limit": 100},
                                                headers={"Authorization": f"Bearer {SECRET}"}).json()["data"]}
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    left = report["videos_left"]
    assert left and set(left) == on_server, (left, on_server)
    line = next(line for line in done.stdout.splitlines() if "stay on the target" in line)
    assert line.startswith(f"{len(left)} videos the run created stay on the target, not deleted ({why}): {left[0]}")
    assert "stay on the target" in (tmp_path / "out" / "summary.md").read_text()
    assert _schema_errors(tmp_path / "out") == []


@pytest.mark.slow
def test_a_baseline_from_first_run_to_gate(tmp_path):
    """The route docs/reports.md shows: a first run says how to write a baseline; --write-baseline
    says where it went and exits 0 (today's violations are accepted); --baseline then gates on new ones."""
    with EmbeddedServer(job_seconds=0.2, extra_args=["--fault", "seconds-integer"]) as server:
        args = ("run", "--quiet", "--examples", "2", "--base-url", server.base_url, "--color", "never")
        first = cli(*args, cwd=tmp_path)
        written = cli(*args, "--write-baseline", "ci/baseline.json", cwd=tmp_path)
        gated = cli(*args, "--baseline", "ci/baseline.json", cwd=tmp_path)
    assert first.returncode == 1
    assert first.stdout.rstrip().splitlines()[-1] == (
        "No baseline given: to accept this violation and fail only on new ones, run once with --write-baseline "
        "conformance-baseline.json, commit it, then run with --baseline conformance-baseline.json")
    assert written.returncode == 0, written.stdout[-2000:]
    assert written.stdout.rstrip().splitlines()[-1] == (
        "Baseline written to ci/baseline.json: 1 violation accepted; commit it and run with --baseline "
        "ci/baseline.json, so that only new violations fail")
    accepted = json.loads((tmp_path / "ci" / "baseline.json").read_text())["accepted"]
    assert [entry["id"] for entry in accepted] == ["response.video.schema"]
    assert gated.returncode == 0 and "No baseline given" not in gated.stdout, gated.stdout[-2000:]
    assert "Baseline ci/baseline.json: 0 new, 1 known of 1 accepted" in gated.stdout


@pytest.fixture(scope="module")
def capped_server():
    with EmbeddedServer(api_key=SECRET, job_seconds=0.2) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("said_by", [None, "--strict", "profile"])
def test_strict_fails_a_run_that_left_clauses_not_verified(capped_server, said_by, tmp_path):
    """--max-creates 4 leaves clauses not verified: PASS and exit 0 by default, a failure (exit 1)
    with the reasons listed first under --strict or strict = true in the profile."""
    strict = {"--strict": ["--strict"], None: []}.get(said_by)
    if said_by == "profile":
        (tmp_path / "gate.toml").write_text('name = "gate"\nstrict = true\n')
        strict = ["--profile", "gate.toml"]
    done = cli("run", "--quiet", "--examples", "2", "--base-url", capped_server.base_url, "--max-creates", "4",
               *strict, "--color", "never", cwd=tmp_path, env={"OPENAI_API_KEY": SECRET})
    report = json.loads((tmp_path / "reports" / "conformance.json").read_text())
    not_verified = report["counts"]["not_verified"]
    assert not_verified > 0 and report["counts"]["failed"] == 0
    if said_by is None:
        assert done.returncode == 0 and "Verdict: PASS" in done.stdout, done.stdout[-2000:]
        return
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(("Not verified", "Root causes")))
    assert lines[first] == f"Not verified ({not_verified}), each fails the run (--strict)"
    assert "--max-creates (4) reached" in lines[first + 1]
    assert f"Verdict: FAIL - {not_verified} clauses not verified (--strict: each fails the run)" in done.stdout
    assert report["outcome"] == "unverified" and report["options"]["strict"] is True


def test_strict_in_a_profile_must_be_true_or_false(tmp_path):
    (tmp_path / "bad.toml").write_text('name = "gate"\nstrict = "yes"\n')
    done = cli("run", "--profile", "bad.toml", cwd=tmp_path)
    assert done.returncode == 2 and "'strict' must be true or false" in done.stderr, done.stderr


# ---- a server without edits, extensions and characters (most self-hosted ones) -----------------
WITHOUT_DERIVED = ("no-edits-route", "no-extensions-route", "no-characters-route")
OFFERED = "create,retrieve,list,delete,content,remix"
MISSING = {"edits": "edit.offered", "extensions": "extend.offered", "characters": "character.offered"}


@pytest.fixture(scope="module")
def server_without_derived():
    with EmbeddedServer(api_key=SECRET, job_seconds=0.2,
                        extra_args=[a for fault in WITHOUT_DERIVED for a in ("--fault", fault)]) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("said_by", ["--operations", "profile"])
def test_operations_declared_not_offered_are_skipped_and_named(server_without_derived, said_by, tmp_path):
    if said_by == "profile":
        listed = ", ".join(f'"{op}"' for op in OFFERED.split(","))
        (tmp_path / "self-hosted.toml").write_text(f'name = "self-hosted"\noperations = [{listed}]\n')
        declared = ["--profile", "self-hosted.toml"]
    else:
        declared = ["--operations", OFFERED]
    done = cli("run", "--quiet", "--examples", "3", "--base-url", server_without_derived.base_url, *declared,
               "--report-dir", "out", "--color", "never", cwd=tmp_path, env={"OPENAI_API_KEY": SECRET})
    assert done.returncode == 0, done.stdout[-3000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    skipped = [c for c in report["clauses"] if (c["note"] or "").startswith("not offered")]
    line = (f"not offered: {', '.join(MISSING)} (--operations or the profile's operations); "
            f"{len(skipped)} clauses skipped")
    assert line in done.stdout.splitlines()
    assert {c["id"] for c in skipped} >= set(MISSING.values()) and {c["verdict"] for c in skipped} == {"skipped"}
    assert line.capitalize() in (tmp_path / "out" / "summary.md").read_text()


@pytest.mark.slow
def test_unsaid_each_missing_operation_is_one_root_cause(server_without_derived, tmp_path):
    done = cli("run", "--quiet", "--examples", "3", "--base-url", server_without_derived.base_url,
               "--report-dir", "out", "--color", "never", cwd=tmp_path, env={"OPENAI_API_KEY": SECRET})
    assert done.returncode == 1, done.stdout[-3000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    assert sorted(rc["id"] for rc in report["root_causes"]) == sorted(MISSING.values())
    assert [c["id"] for c in report["clauses"] if c["verdict"] == "failed"] == \
        [cid for cid in (c["id"] for c in report["clauses"]) if cid in MISSING.values()]
    fails = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("FAIL ")]
    assert sorted(fails) == sorted(f"FAIL {cid}" for cid in MISSING.values())
    assert f"Verdict: FAIL - {len(MISSING)} violations" in done.stdout


def test_version_is_the_packages_with_the_specs(capsys):
    from contracts import __version__
    from contracts.cli import main
    from contracts.report import SCHEMA_VERSION

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"videos-contract {__version__} (spec 1.0.0, report schema {SCHEMA_VERSION})\n"


def test_schema_prints_the_json_schema_of_the_reports(capsys):
    from contracts.cli import main
    from contracts.report import SCHEMA_PATH, SCHEMA_VERSION

    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(out)["properties"]["schema_version"]["const"] == SCHEMA_VERSION
