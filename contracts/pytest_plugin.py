"""The pytest face of the suite: ``pytest tests/contract --base-url URL``.

Registered as a pytest plugin (entry point ``contracts.pytest_plugin``), so another project's
test run can use the ``contract_run`` fixture too. One conformance run per session, shared by
every clause test; reports are written when the session ends and summarised in the terminal.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

GROUP = "videos-contract"
OPTION_BASE_URL = "--base-url"
OPTION_API_KEY = "--api-key"
OPTION_MAX_CREATES = "--max-creates"
OPTION_EXAMPLES = "--contract-examples"
OPTION_REPORT_DIR = "--contract-report-dir"
OPTION_BUDGET = "--contract-budget"
OPTION_JOB_SECONDS = "--contract-job-seconds"
OPTION_PROFILE = "--contract-profile"
API_KEY_ENV = "OPENAI_API_KEY"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "videos-contract: the Videos API contract suite")
    try:
        group.addoption(OPTION_BASE_URL, metavar="URL", default=None,
                        help="API root of the server under test, e.g. http://127.0.0.1:8000/v1 "
                             "(default: the embedded reference server)")
    except ValueError:
        pass  # pytest-base-url already defines --base-url (same meaning, same dest): share it
    group.addoption(OPTION_API_KEY, metavar="KEY", default=None,
                    help=f"the target's API key (default: ${API_KEY_ENV}); never written to any output")
    group.addoption(OPTION_MAX_CREATES, metavar="N", type=int, default=25,
                    help="at most N jobs created on an external target (default 25)")
    group.addoption(OPTION_EXAMPLES, metavar="N", type=int, default=20,
                    help="generated cases per mode (default 20)")
    group.addoption(OPTION_REPORT_DIR, metavar="DIR", default=None,
                    help="write conformance reports there (default: reports/ when tests/contract runs)")
    group.addoption(OPTION_BUDGET, metavar="SECONDS", type=float, default=180.0,
                    help="total time budget of the contract run (default 180)")
    group.addoption(OPTION_PROFILE, metavar="openai|FILE.toml", default="openai",
                    help="the target's profile: 'openai' (default) or a TOML file (see profiles/)")
    group.addoption(OPTION_JOB_SECONDS, metavar="S", type=float, default=0.3,
                    help="job duration of the embedded server (default 0.3)")


class ContractSession:
    """The target of this session (the embedded server is started on first use and stopped at
    the end) and the one conformance run against it, remembered for the summary."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.result = None
        self.paths: dict[str, Path] = {}
        self.write_error: str | None = None
        self.worker_summaries: list[str] = []  # under pytest-xdist, from the workers
        self._server = None
        self._options = None

    def options(self):
        """RunOptions for the target, starting the embedded server if no --base-url was given."""
        if self._options is not None:
            return self._options
        from contracts.context import RunOptions
        from contracts.embedded import EmbeddedServer, EmbeddedServerError

        opt = self.config.getoption
        base_url = opt(OPTION_BASE_URL)
        options = RunOptions(base_url=(base_url or "").rstrip("/"),
                             api_key=opt(OPTION_API_KEY) or os.environ.get(API_KEY_ENV) or None,
                             max_creates=opt(OPTION_MAX_CREATES), examples=opt(OPTION_EXAMPLES),
                             budget_seconds=opt(OPTION_BUDGET))
        if not base_url:
            # The embedded server always gets a key, so that the auth clauses are checked too.
            options.api_key, options.max_creates, options.embedded = "sk-embedded-" + secrets.token_hex(8), None, True
            profile = self.profile()
            extra = [] if profile.is_default else ["--profile", str(profile.source)]
            self._server = EmbeddedServer(api_key=options.api_key, job_seconds=opt(OPTION_JOB_SECONDS),
                                          extra_args=extra)
            try:
                options.base_url = self._server.start().base_url
            except EmbeddedServerError as exc:
                pytest.exit(f"videos-contract: {exc}", returncode=2)
        self._options = options
        return options

    def profile(self):
        from contracts.profile import ProfileError, load_profile

        try:
            return load_profile(self.config.getoption(OPTION_PROFILE))
        except ProfileError as exc:
            pytest.exit(f"videos-contract: {exc}", returncode=2)

    def run(self):
        if self.result is not None:
            return self.result
        from contracts.runner import SetupError, run
        from contracts.spec import SpecError, load_spec

        try:
            base = load_spec()
            profile = self.profile()
            spec = profile.apply(base)
            self.result = run(self.options(), spec=spec, rules=profile.rules(spec))
        except (SetupError, SpecError) as exc:
            pytest.exit(f"videos-contract: {exc}", returncode=2)
        return self.result

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


_SESSION_KEY = pytest.StashKey[ContractSession]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: a clause of the Videos API contract, run against the target")
    config.stash[_SESSION_KEY] = ContractSession(config)


@pytest.fixture(scope="session")
def contract_options(pytestconfig: pytest.Config):
    """RunOptions of the target: base_url, api_key, max_creates, embedded..."""
    return pytestconfig.stash[_SESSION_KEY].options()


@pytest.fixture(scope="session")
def contract_run(pytestconfig: pytest.Config):
    """The RunResult of one conformance run against the target (run once per session)."""
    return pytestconfig.stash[_SESSION_KEY].run()


CONTRACT_FIXTURES = {"contract_run", "contract_options", "contract_schema"}
XDIST_GROUP = "videos-contract"
_WORKER_SUMMARY = "videos_contract_summary"


@pytest.hookimpl(trylast=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    # Under pytest-xdist, plain `-n N` means --dist load: make it loadgroup, so that every test of
    # the contract lands on one worker and the target gets one run (not one per worker).
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if CONTRACT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUP))


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_SESSION_KEY, None)
    if state is None or state.result is None:
        return
    from contracts import report

    report_dir = session.config.getoption(OPTION_REPORT_DIR) or "reports"
    try:
        state.paths = report.write_reports(state.result, Path(report_dir))
    except OSError as exc:
        state.paths = {}
        state.write_error = f"cannot write reports to {report_dir}: {exc}"
    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the summary to the controller
        session.config.workeroutput[_WORKER_SUMMARY] = report.render_summary(state.result, paths=state.paths)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    summary = getattr(node, "workeroutput", {}).get(_WORKER_SUMMARY)
    if summary:
        node.config.stash[_SESSION_KEY].worker_summaries.append(summary)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_SESSION_KEY, None)
    if state is not None:
        state.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    state = config.stash.get(_SESSION_KEY, None)
    if state is not None and state.worker_summaries:
        terminalreporter.section("videos-contract")
        for summary in state.worker_summaries:
            terminalreporter.write_line(summary)
        return
    if state is None or state.result is None:
        return
    from contracts import report

    terminalreporter.section("videos-contract")
    terminalreporter.write_line(report.render_summary(state.result, paths=state.paths))
    if state.write_error:
        terminalreporter.write_line(state.write_error, red=True)
