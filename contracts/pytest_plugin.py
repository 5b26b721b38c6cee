"""The pytest face of the suite: ``pytest tests/contract --contract-base-url URL``.

Registered as a pytest plugin (entry point ``contracts.pytest_plugin``), so another project's
test run can use the ``contract_run`` fixture too. One conformance run per session, shared by
every clause test; reports are written when the session ends and summarised in the terminal.

The ``videos_mock`` fixture gives each test a namespace of its own on one reference server for the
whole session (shared by pytest-xdist workers): its base URL and key, and the control routes as
methods (``contracts.mock.testing``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contracts import options as run_options

GROUP = "videos-contract"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "videos-contract: the Videos API contract suite")
    run_options.add_to_pytest(group)
    parser.addini("videos_mock_args", "more options of the videos_mock fixture's reference server (after "
                  "--namespaces key --clock manual --advance-per-poll 3), e.g. --job-seconds 2", type="args",
                  default=[])


def _or_exit(make):
    """``make()``, or the session ends with its one-line SetupError and exit code 2."""
    from contracts.failures import SetupError

    try:
        return make()
    except SetupError as exc:
        pytest.exit(f"videos-contract: {exc}", returncode=2)


class ContractSession:
    """The target of this session (the embedded server is started on first use and stopped at
    the end) and the one conformance run against it, remembered for the summary."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.result = None
        self.paths: dict[str, Path] = {}
        self.write_error: str | None = None
        self.worker_summaries: list[str] = []  # under pytest-xdist, from the workers
        self._target = None
        self._options = None

    def target(self):
        """The target of the session (contracts.target.Target), from the --contract-* options."""
        if self._target is None:
            from contracts.target import Target

            self._target = _or_exit(lambda: Target(run_options.values_from_pytest(self.config)))
        return self._target

    def options(self):
        """RunOptions for the target, starting the embedded server if no --base-url was given."""
        if self._options is None:
            self._options = _or_exit(lambda: self.target().options())
        return self._options

    def run(self):
        if self.result is None:
            from contracts.report import write_request_bodies
            from contracts.runner import run

            spec, rules = _or_exit(lambda: self.target().contract())
            self.result = _or_exit(lambda: run(self.options(), spec=spec, rules=rules))
            # Before any clause test shows its evidence: a reproduction reads its multipart or long
            # body from the file written beside the reports (requests/NNN.bin), as the CLI's does.
            try:
                write_request_bodies(self.result, Path(run_options.values_from_pytest(self.config)["report_dir"]))
            except OSError:
                pass  # the reports cannot be written there either: said when the session ends
        return self.result

    def stop(self) -> None:
        if self._target is not None:
            self._target.stop()
            self._target = None


_SESSION_KEY = pytest.StashKey[ContractSession]()
_MOCK_KEY = pytest.StashKey[Any]()  # the session's videos_mock server (contracts.mock.testing.SessionMock)
_MOCK_FOLDER_KEY = pytest.StashKey[str]()  # under xdist, the controller's folder the workers share it in


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: a clause of the Videos API contract, run against the target")
    config.stash[_SESSION_KEY] = ContractSession(config)


@pytest.fixture
def videos_mock(pytestconfig: pytest.Config):
    """A namespace of its own on the session's reference server: ``base_url``, ``api_key``,
    ``openai()``, and the control routes (``complete``, ``fail``, ``progress``, ``advance``,
    ``requests``, ``set_faults``, ``reset``). The server runs with a manual clock: a job moves when
    the test moves it, or three of its ten steps per retrieve."""
    from contracts.mock.testing import FOLDER_INPUT, SessionMock, VideosMock, VideosMockError

    session = pytestconfig.stash.get(_MOCK_KEY, None)
    if session is None:
        folder = getattr(pytestconfig, "workerinput", {}).get(FOLDER_INPUT)
        session = SessionMock(list(pytestconfig.getini("videos_mock_args")), Path(folder) if folder else None)
        pytestconfig.stash[_MOCK_KEY] = session
    try:
        root = session.root_url()
    except VideosMockError as exc:
        pytest.fail(f"videos_mock: {exc}", pytrace=False)
    mock = VideosMock(root)
    try:
        yield mock
    finally:
        try:
            mock.reset()  # the namespace goes: the server does not grow with the session
        finally:
            mock.close()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """Under pytest-xdist (the controller): a folder where the workers share one videos_mock server."""
    import tempfile

    from contracts.mock.testing import FOLDER_INPUT

    config = node.config
    if _MOCK_FOLDER_KEY not in config.stash:
        config.stash[_MOCK_FOLDER_KEY] = tempfile.mkdtemp(prefix="videos-mock-")
    node.workerinput[FOLDER_INPUT] = config.stash[_MOCK_FOLDER_KEY]


@pytest.fixture(scope="session")
def contract_options(pytestconfig: pytest.Config):
    """RunOptions of the target: base_url, api_key, max_creates, embedded..."""
    return pytestconfig.stash[_SESSION_KEY].options()


@pytest.fixture(scope="session")
def contract_spec(pytestconfig: pytest.Config):
    """(Spec, Rules) of the target, as its profile rewrites the contract (what the run judges by)."""
    return _or_exit(lambda: pytestconfig.stash[_SESSION_KEY].target().contract())


@pytest.fixture(scope="session")
def contract_run(pytestconfig: pytest.Config):
    """The RunResult of one conformance run against the target (run once per session)."""
    return pytestconfig.stash[_SESSION_KEY].run()


CONTRACT_FIXTURES = {"contract_run", "contract_options", "contract_schema", "contract_spec"}
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

    report_dir = run_options.values_from_pytest(session.config)["report_dir"]
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
    mock = config.stash.get(_MOCK_KEY, None)
    if mock is not None:
        mock.stop()
    folder = config.stash.get(_MOCK_FOLDER_KEY, None)
    if folder is not None:  # the xdist controller: the workers are gone, their shared mock goes too
        import shutil

        from contracts.mock.testing import stop_shared

        stop_shared(Path(folder))
        shutil.rmtree(folder, ignore_errors=True)


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
