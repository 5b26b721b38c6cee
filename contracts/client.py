"""The suite's HTTP client: real HTTP through httpx, defended against the target.

Per-request timeout and a total time budget (a hanging server fails in bounded time), a cap on
how much of a body is read (a server that streams without end is cut off), back-pressure handled
as the openai SDK does (429 and 503 retried after Retry-After, else with the SDK's exponential
backoff, within the budget), and the API key redacted from everything it records.
"""

from __future__ import annotations

import email.utils
import json
import re
import shlex
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from contracts.failures import RunAborted
from contracts.headers import CREDENTIAL_SCHEMES, env_reference, is_secret_header
from contracts.options import API_KEY_ENV, RunOptions
from contracts.types import BODY_FILE, Exchange, RecordedRequest, RecordedResponse

REDACTED = "<redacted>"
EXCERPT_CHARS = 2000
DEFAULT_BODY_CAP = 1024 * 1024  # JSON answers are small; 1 MiB is generous
USER_AGENT = "videos-contract"
CURL_INLINE = 1500  # a curl's body longer than this goes to a file beside the report (BODY_FILE)


@dataclass
class ClientOptions:
    """How the client defends itself, beyond what the run options say (target, key, timeout, budget)."""

    connect_timeout: float = 5.0
    body_cap: int = DEFAULT_BODY_CAP
    max_retries: int = 2  # the openai SDK's default
    max_retry_after: float = 10.0


@dataclass
class Response:
    """What came back for one request (or the transport error that came instead)."""

    status: int
    headers: httpx.Headers
    body: bytes
    exchange: Exchange
    truncated: bool = False
    elapsed_ms: float = 0.0
    transport_error: str | None = None
    connect_failed: bool = False  # nothing accepted the connection (refused, DNS, connect timeout)
    retried: list["Response"] = field(default_factory=list)  # 429/503 answers retried before this one
    # Its place in the run's record (contracts/history.py): the case it answered, its sequence
    # number, when it was sent (monotonic), and whether the same case was sent again after it
    # (back-pressure: a 429 or a 503 waited out, judged only as such).
    case: Any = field(default=None, repr=False)
    seq: int = 0
    sent_at: float = 0.0
    superseded: bool = False
    _json: Any = field(default=None, repr=False)
    _json_error: str | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.transport_error is None

    @property
    def answered_at(self) -> float:
        """When the answer had come whole (monotonic): a request sent after it knew of it. A run sends one
        request at a time; a proxy's clients send many at once, whose answers may overlap."""
        return self.sent_at + self.elapsed_ms / 1000

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The parsed JSON body; raises ValueError with a readable reason when it is not JSON."""
        if not self._parsed:
            self._parsed = True
            if self.truncated:
                self._json_error = f"body cut at the {len(self.body)}-byte cap: not a complete JSON document"
            else:
                try:
                    self._json = json.loads(self.body)
                except (ValueError, UnicodeDecodeError) as exc:
                    self._json_error = f"body is not JSON ({exc}): {excerpt(self.body, 120)!r}"
        if self._json_error:
            raise ValueError(self._json_error)
        return self._json

    @property
    def named(self) -> dict[str, Any] | None:
        """The JSON object of a 2xx answer that names something by id (a Video, a character), else
        None: what a plan reads of an answer to decide its next case."""
        if not self.ok or not 200 <= self.status < 300:
            return None
        body = self.json_object()
        return body if body is not None and isinstance(body.get("id"), str) and body["id"] else None

    def forget_json(self) -> None:
        """Drop the JSON parsed from the body (a long record keeps older answers lean; parsed again if asked)."""
        self._json, self._json_error, self._parsed = None, None, False

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object; None when it is not JSON or JSON of another kind."""
        try:
            body = self.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


def excerpt(body: bytes, limit: int = EXCERPT_CHARS) -> str:
    if not body:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary data, starting {body[:16].hex()}>"
    return text if len(text) <= limit else text[:limit] + f"... <{len(text) - limit} more chars>"


class Client:
    def __init__(self, options: RunOptions, limits: ClientOptions | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        """``clock`` and ``sleep`` pace the budget and the waits between retries (tests inject a
        fake clock; the requests themselves always run on real time)."""
        self.options = options
        self.limits = limits or ClientOptions()
        self.base_url = options.base_url.rstrip("/")
        self.clock, self.sleep = clock, sleep
        self.deadline = clock() + options.budget_seconds
        self.requests_sent = 0
        self.resets_retried = 0  # kept-alive connections found reset and the request sent again
        self._http = httpx.Client(
            timeout=httpx.Timeout(options.request_timeout, connect=self.limits.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ---- budget ----------------------------------------------------------------------------
    def remaining(self) -> float:
        return self.deadline - self.clock()

    def extend_budget(self, seconds: float) -> None:
        """Give clean-up a little time after the budget is spent."""
        self.deadline = max(self.deadline, self.clock() + seconds)

    # ---- requests --------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        auth: str | None | bool = True,
        body_cap: int | None = None,
        retries: int | None = None,
    ) -> Response:
        """Send one request with the run's headers (--header); auth=True uses the run's key, False/None
        sends none, a str sends it (in Authorization: Bearer, or in --api-key-header). A 429 or 503 is
        retried as the SDK does, ``retries`` times at most (default: the SDK's)."""
        url = self.base_url + path
        sent_headers = {**(headers or {}), **self.options.request_headers(auth)}
        retried: list[Response] = []
        retries = self.limits.max_retries if retries is None else retries
        while True:
            response = self._send_once(method, url, query, sent_headers, content, body_cap or self.limits.body_cap)
            if response.status not in RETRIED_STATUSES or len(retried) >= retries:
                break
            wait = retry_delay(response.headers, len(retried), self.limits.max_retry_after)
            if wait >= self.remaining():
                break
            retried.append(response)
            self.sleep(wait)
        response.retried = retried
        return response

    def _send_once(self, method, url, query, headers, content, body_cap) -> Response:
        remaining = self.remaining()
        if remaining <= 0:
            raise RunAborted(f"the time budget of {self.options.budget_seconds:g} s is spent")
        timeout = min(self.options.request_timeout, remaining)
        params = {k: v for k, v in (query or {}).items() if v is not None}
        request = self._http.build_request(
            method, url, params=params, headers=headers, content=content,
            timeout=httpx.Timeout(timeout, connect=min(self.limits.connect_timeout, timeout)),
        )
        recorded = RecordedRequest(
            method=method,
            url=str(request.url),
            headers=self.redact_headers(dict(request.headers)),
            body_excerpt=self.redact(excerpt(content or b"")),
            body_size=len(content or b""),
        )
        exchange = Exchange(request=recorded, curl=self.curl(method, str(request.url), headers, content))
        if BODY_FILE in exchange.curl:
            exchange.body = content
        self.requests_sent += 1
        started = time.monotonic()
        body = bytearray()
        truncated = False
        try:
            response = self._send_fresh_on_reset(request)
            try:
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > body_cap:
                        del body[body_cap:]
                        truncated = True
                        break
                    if time.monotonic() - started > timeout:
                        raise httpx.ReadTimeout(f"the body was still arriving after {timeout:g} s")
            finally:
                response.close()
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.TimeoutException) and timeout < self.options.request_timeout:
                # The timeout was cut to what was left of the budget: the budget ran out, not the
                # server's time. Not a violation of the target's.
                raise RunAborted(f"the time budget of {self.options.budget_seconds:g} s is spent") from None
            elapsed = (time.monotonic() - started) * 1000
            exchange.transport_error = _describe_transport_error(exc, timeout)
            return Response(0, httpx.Headers(), bytes(body), exchange, elapsed_ms=elapsed,
                            transport_error=exchange.transport_error, sent_at=started,
                            connect_failed=isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)))
        elapsed = (time.monotonic() - started) * 1000
        exchange.response = RecordedResponse(
            status=response.status_code,
            headers=self.redact_headers(dict(response.headers)),
            body_excerpt=self.redact(excerpt(bytes(body))),
            body_size=len(body),
            truncated=truncated,
            elapsed_ms=round(elapsed, 2),
        )
        return Response(response.status_code, response.headers, bytes(body), exchange, truncated, elapsed,
                        sent_at=started)

    def _send_fresh_on_reset(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; if a kept-alive connection was closed or reset before any byte of the
        answer came, send it once more on a fresh connection, as the openai SDK does (its users
        never see such a reset). A fresh connection that fails too is the target's failure."""
        try:
            return self._http.send(request, stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if not _reset_before_answer(exc):
                raise
        self.resets_retried += 1
        return self._http.send(request, stream=True)

    # ---- redaction and reproduction --------------------------------------------------------
    def redact(self, text: str) -> str:
        """``text`` without the key and the values of secret headers (--header)."""
        secrets = [self.options.api_key, *(v for n, v in self.options.headers.items() if is_secret_header(n))]
        return redact_values(text, secrets)

    def redact_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return redacted_headers(headers.items(), self.redact)

    def curl(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> str:
        """A shell command that sends the same bytes; the run's key comes from $OPENAI_API_KEY (another
        key, the auth probe's wrong one, is sent as it is), a secret header's value from the variable
        named after it ($X_GATEWAY_TOKEN)."""
        parts = ["curl", "-sS", "-i", "-X", method, shlex.quote(url)]
        key_header = (self.options.api_key_header or "authorization").lower()
        for name, value in headers.items():
            run_key = self.options.api_key
            if name.lower() == key_header and run_key and value in (f"Bearer {run_key}", run_key):
                parts += ["-H", f'"Authorization: Bearer ${API_KEY_ENV}"' if key_header == "authorization"
                          else _from_environment(name, f"${API_KEY_ENV}")]
            elif name.lower() == key_header:
                parts += ["-H", shlex.quote(f"{name}: {self.redact(value)}")]  # another key: the wrong one, as sent
            else:
                parts += curl_header(name, value, self.redact)
        if not content:
            return " ".join(parts)
        if "multipart/form-data" in str(headers.get("Content-Type", "")):
            return " ".join(parts + ["--data-binary", f"@{BODY_FILE}"])  # its exact bytes, boundaries and all
        return " ".join(parts + curl_data(content, self.redact))


def redact_values(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with each of ``secrets`` (the empty ones aside) replaced by REDACTED."""
    for secret in secrets:
        if secret and text and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redacted_headers(headers: Iterable[tuple[str, str]], redact: Callable[[str], str]) -> dict[str, str]:
    """Headers as an exchange records them: a secret header's value cut to its scheme (``Bearer <redacted>``),
    every value through ``redact``."""
    out = {}
    for name, value in headers:
        if is_secret_header(name):
            scheme = value.split(" ", 1)[0] if value.split(" ", 1)[0].lower() in CREDENTIAL_SCHEMES else ""
            value = f"{scheme} {REDACTED}".strip()
        out[name] = redact(value)
    return out


def curl_header(name: str, value: str, redact: Callable[[str], str]) -> list[str]:
    """A curl ``-H`` argument: a secret header's value read from the variable named after it
    ($X_GATEWAY_TOKEN), any other as sent (through ``redact``)."""
    if is_secret_header(name):
        return ["-H", _from_environment(name, env_reference(name))]
    return ["-H", shlex.quote(f"{name}: {redact(value)}")]


def curl_data(content: bytes, redact: Callable[[str], str]) -> list[str]:
    """A curl's body: inline when it is short text a shell argument can carry; else (binary or large
    bodies: an image, a 32000-character prompt) its exact bytes from a file beside the report, which
    the report writer names in place of BODY_FILE."""
    text = _printable(content) if len(content) <= CURL_INLINE else None
    if text is not None:
        return ["--data-binary", shlex.quote(redact(text))]
    return ["--data-binary", f"@{BODY_FILE}"]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _from_environment(name: str, variable: str) -> str:
    """A curl header argument whose value the shell reads from ``variable`` (``"api-key: $OPENAI_API_KEY"``)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return f'"{name}: {variable}"'
    return shlex.quote(f"{name}: ") + f'"{variable}"'


def _printable(content: bytes) -> str | None:
    """The body as text if a shell argument can carry it (UTF-8, no control characters)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


RETRIED_STATUSES = (429, 503)  # back-pressure: "slow down" and "busy, try again later"
# The openai SDK's retry timing (openai/_constants.py, _base_client._calculate_retry_timeout): the
# server's delay when it is above 0 and at most two minutes, else its exponential backoff, here
# without its random jitter so that runs are reproducible.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 120.0


def retry_delay(headers: Mapping[str, str], retries_so_far: int, cap: float) -> float:
    """Seconds to wait before retrying an answer with these headers, as the openai SDK decides,
    never more than ``cap`` (the run's own limit)."""
    given = retry_after_seconds(headers)
    if given is not None and 0 < given <= MAX_RETRY_AFTER:
        return min(given, cap)
    return min(INITIAL_RETRY_DELAY * 2 ** retries_so_far, MAX_RETRY_DELAY, cap)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The delay the server asks for, as the SDK reads it: ``retry-after-ms`` (Azure sends it),
    else ``Retry-After`` in seconds (fractions allowed) or as an HTTP date; None when absent or
    unusable."""
    for name, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        try:
            return float(headers[name].strip()) / divisor
        except (KeyError, ValueError):
            continue
    try:
        return email.utils.parsedate_to_datetime(headers["retry-after"]).timestamp() - time.time()
    except (KeyError, TypeError, ValueError):
        return None


def _reset_before_answer(exc: httpx.HTTPError) -> bool:
    """Whether the connection was closed or reset before the answer began (a stale kept-alive
    connection), as httpcore tells it: "Server disconnected without sending a response", a reset
    or a broken pipe while reading or writing the request."""
    text = str(exc).lower()
    return isinstance(exc, (httpx.ReadError, httpx.WriteError)) or "without sending a response" in text \
        or "connection reset" in text


# How each transport failure is told, most specific first (a ConnectTimeout is a TimeoutException).
_TRANSPORT_ERRORS = (
    (httpx.ConnectTimeout, "connection timed out after {timeout:.3g} s"),
    (httpx.TimeoutException, "no complete response within {timeout:.3g} s ({kind})"),
    (httpx.ConnectError, "connection failed: {exc}"),
    (httpx.RemoteProtocolError, "the server broke the HTTP exchange: {exc}"),
)


def _describe_transport_error(exc: httpx.HTTPError, timeout: float) -> str:
    text = next((text for kind, text in _TRANSPORT_ERRORS if isinstance(exc, kind)), "{kind}: {exc}")
    return text.format(timeout=timeout, kind=type(exc).__name__, exc=exc)
