"""write_reports: the files, atomically, and nothing secret in any of them."""

from __future__ import annotations

import os

import pytest
from report_factory import SECRET_KEY, SECRET_TOKEN, SECRETS, exchange, failed, make_run, passed

from contracts.report import REPORT_FILES, build_report, write_reports
from contracts.report.io import atomic_write_text
from contracts.report.redact import clean_tree, redact_header_value, redact_text
from contracts.types import WRONG_API_KEY, ClauseResult, Evidence, Verdict


def test_writes_every_report_into_a_new_directory(tmp_path, run):
    out = tmp_path / "deep" / "reports"
    paths = write_reports(run, out)
    assert set(paths) == {"html", "json", "junit", "summary", "badge"}
    for kind, path in paths.items():
        assert path == out / REPORT_FILES[kind]
        assert path.stat().st_size > 0
    assert sorted(os.listdir(out)) == sorted(REPORT_FILES.values())


def test_rewriting_replaces_files_and_leaves_no_temporary_file(tmp_path, run):
    write_reports(run, tmp_path)
    first = (tmp_path / "conformance.json").read_text()
    write_reports(make_run([passed("a.b")]), tmp_path)
    assert (tmp_path / "conformance.json").read_text() != first
    assert sorted(os.listdir(tmp_path)) == sorted(REPORT_FILES.values())


def test_failed_write_keeps_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "conformance.json"
    target.write_text("old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["conformance.json"]


def test_written_file_is_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "x.txt", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------- secrets


def _leaky_run():
    """Secrets everywhere the engine could leave one, as if upstream redaction had failed."""
    ex = exchange(
        auth=f"Bearer {SECRET_TOKEN}",
        body=f'{{"error": "invalid key {SECRET_KEY}"}}',
        curl=f"curl -H 'Authorization: Bearer {SECRET_TOKEN}' -H 'X-Key: {SECRET_KEY}' "
        f"'http://h/v1/videos?api_key={SECRET_TOKEN}'",
    )
    ex.request.headers["Cookie"] = f"session={SECRET_TOKEN}"
    ex.request.headers["x-api-key"] = SECRET_TOKEN
    ex.response.headers["Set-Cookie"] = f"s={SECRET_TOKEN}"
    leak = failed(
        "auth.key-echoed",
        f"the error echoed the key {SECRET_KEY}",
        received=f"Authorization: Bearer {SECRET_TOKEN}",
        expected=f"no {SECRET_KEY}",
        case=f"key={SECRET_KEY}",
        exchange=ex,
    )
    note = ClauseResult(
        leak.clause.__class__(id="auth.note", area="auth", statement=f"uses {SECRET_KEY}"),
        Verdict.NOT_VERIFIED,
        note=f"server said {SECRET_KEY}",
        evidence=[Evidence(clause_id="auth.note", message=f"header authorization={SECRET_TOKEN}")],
    )
    return make_run(
        [passed("create.ok"), leak, note],
        target=f"http://127.0.0.1:9/v1?key={SECRET_TOKEN}",
        interrupted=f"server error mentioning {SECRET_KEY}",
        coverage={"enums": {"model": {"json": {SECRET_KEY: 1}}}, "operations": {f"GET /videos?key={SECRET_TOKEN}": 1}},
    )


def test_no_secret_in_any_report(tmp_path):
    paths = write_reports(_leaky_run(), tmp_path)
    assert set(paths) == set(REPORT_FILES)
    for path in tmp_path.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into {path.name}"
        assert "[REDACTED]" in text, path.name


def test_curl_keeps_the_environment_variable_reference(run):
    doc = build_report(run)
    curl = doc["clauses"][1]["evidence"][0]["exchange"]["curl"]
    assert "Authorization: Bearer $OPENAI_API_KEY" in curl


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"key {SECRET_KEY} end", "key sk-[REDACTED] end"),
        ("sk-short", "sk-short"),  # too short to be a key
        ("task-abcdefghijklmnopqrstuvwxyz", "task-abcdefghijklmnopqrstuvwxyz"),
        ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer [REDACTED]"),
        ("Authorization: Bearer $OPENAI_API_KEY", "Authorization: Bearer $OPENAI_API_KEY"),
        ('{"authorization": "Basic dXNlcjpwYXNz"}', '{"authorization": "Basic [REDACTED]"}'),
        ("http://h/v?api_key=s3cr3t&x=1", "http://h/v?api_key=[REDACTED]&x=1"),
        ("curl -H 'x-api-key: abc123' -H 'X-Other: 1'", "curl -H 'x-api-key: [REDACTED]' -H 'X-Other: 1'"),
        ('{"api_key": "s3cr3t"}', '{"api_key": "[REDACTED]"}'),
        ("the monkey: fine", "the monkey: fine"),
        ("plain text with bearer", "plain text with bearer"),
        ("curl -H 'Cookie: session=abc123; theme=dark' -H 'X-Other: 1'", "curl -H 'Cookie: [REDACTED]' -H 'X-Other: 1'"),
        ('{"set-cookie": "sid=s3cr3t; Path=/"}', '{"set-cookie": "[REDACTED]"}'),
        ("-H 'Cookie: $COOKIE'", "-H 'Cookie: $COOKIE'"),
        ("a cookie is fine", "a cookie is fine"),
        ("Authorization: Digest username=u, response=abcdef", "Authorization: Digest [REDACTED], response=abcdef"),
        ("", ""),
        # the kit's own made-up wrong key stays (a reproduction of the wrong-key probe sends it) ...
        ("-H 'Authorization: Bearer sk-videos-contract-wrong-key'", "-H 'Authorization: Bearer sk-videos-contract-wrong-key'"),
        # ... but not a key that merely starts like it
        (f"Bearer {WRONG_API_KEY}-but-real-1234", "Bearer sk-[REDACTED]"),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text) == expected
    assert redact_text(redact_text(text)) == expected  # idempotent


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("Authorization", "Bearer abc.def.ghi", "Bearer [REDACTED]"),
        ("authorization", "Bearer [REDACTED]", "Bearer [REDACTED]"),
        ("Authorization", "Bearer $OPENAI_API_KEY", "Bearer $OPENAI_API_KEY"),
        ("Authorization", "rawtoken", "[REDACTED]"),
        ("Cookie", "a=b", "[REDACTED]"),
        ("X-Api-Key", "abc", "[REDACTED]"),
        ("Content-Type", "application/json", "application/json"),
        ("X-Debug", f"key={SECRET_KEY}", "key=sk-[REDACTED]"),
    ],
)
def test_redact_header_value(name, value, expected):
    assert redact_header_value(name, value) == expected


def test_clean_tree_fixes_lone_surrogates():
    assert clean_tree({"a": ["x\udcff"]}) == {"a": ["x\ufffd"]}


def test_multipart_and_binary_bodies_are_written_beside_the_report_for_curl(tmp_path):
    """A body that cannot be a shell argument goes to requests/NNN.bin; its curl reads that file."""
    from contracts.types import BODY_FILE

    body = b'--b\r\nContent-Disposition: form-data; name="input_reference"; filename="a.png"\r\n\r\n\x89PNG\x00\r\n--b--\r\n'
    curl = ("curl -sS -i -X POST http://127.0.0.1:9/v1/videos -H 'Content-Type: multipart/form-data; boundary=b' "
            f"--data-binary @{BODY_FILE}")
    binary = exchange(curl=curl)
    binary.body = body
    run = make_run([failed("create.image-reference-accepted", exchange=binary), passed("a.b")])
    write_reports(run, tmp_path)
    written = tmp_path / "requests" / "001.bin"
    assert written.read_bytes() == body
    report = build_report(run)
    curl_text = next(c for c in report["clauses"] if c["id"] == "create.image-reference-accepted")
    assert f"--data-binary @{written}" in str(curl_text)
    assert "boundary=b" in str(curl_text) and BODY_FILE not in str(curl_text)
