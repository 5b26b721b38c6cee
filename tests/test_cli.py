"""The command line as a user meets it: exit codes, one-line errors, reports, baselines, secrets."""

from __future__ import annotations

import json
import re
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import cli

from contracts.embedded import EmbeddedServer

SECRET = "sk-cli-test-" + "s" * 40


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
        (["run", "--operations", "create,retrieve,teleport"], "unknown operation 'teleport'"),
        (["run", "--operations", "list,edits"], "must include create and retrieve"),
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


@pytest.mark.parametrize(("args", "message"), [
    (["--header", "X-Route videos"], "--header takes 'Name: Value', got 'X-Route videos'"),
    (["--header", "Authorization: Bearer x"], "--header Authorization: the key goes in --api-key"),
    (["--api-key-header", "api key"], "--api-key-header: 'api key' is not a header name"),
    (["--include", "teleport.*"], "--include 'teleport.*' matches no clause"),
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


def test_clauses_lists_the_catalogue():
    from contracts.clauses import CLAUSES

    done = cli("clauses")
    assert done.returncode == 0
    assert all(cid in done.stdout for cid in CLAUSES)


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


def test_help_of_every_subcommand_is_complete():
    for command in ("run", "mock", "diff", "clauses"):
        done = cli(command, "--help")
        assert done.returncode == 0 and "usage: videos-contract" in done.stdout
    run_help = cli("run", "--help").stdout
    for option in ("--base-url", "--api-key", "--profile", "--max-creates", "--budget", "--report-dir", "--baseline",
                   "--write-baseline", "--examples", "--seed", "--header", "--api-key-header", "--include", "--exclude",
                   "--target-name", "--target-version"):
        assert option in run_help


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
    assert left["data"] == []
    # Honest coverage: a clause one of whose planned cases was not sent is not verified, never passed.
    capped = [c for c in report["clauses"] if "--max-creates (6) reached" in (c["note"] or "")]
    assert capped, "the cap should leave some clauses not verified, with the reason"
    assert {c["verdict"] for c in capped} <= {"not_verified", "failed"}
    assert all(re.search(r"^not verified: \d+ of \d+ cases sent, --max-creates \(6\) reached; not sent: '", c["note"])
               for c in capped), [c["note"] for c in capped]


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
