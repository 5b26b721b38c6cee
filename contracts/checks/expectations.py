"""The answer each case exists to get, judged for the clauses it was planned for.

A case names the one clause it tests (``Case.clause``) and the answer that clause wants
(``Case.expect``); a packed create also carries further clauses (``Case.carries``), each passing when
it is accepted. A case's outcome counts for those clauses and no other: every other clause judges
only what the answer itself shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.checks import NOT_APPLICABLE, CheckContext, Found, at_end, check
from contracts.checks.responses import error_summary
from contracts.failures import Blocked, ContractViolation, NotVerifiable
from contracts.rules import CREATE

if TYPE_CHECKING:
    from contracts.client import Response

# 4xx answers that do not say "this request is invalid": auth, no such route, timeouts, rate limits.
NOT_A_REJECTION = (401, 403, 404, 405, 408, 429)
# A source refused at once (an edit of an unfinished video): 400 or 404 both stop an SDK client at
# once; 408, 409 and 429 are retried by it silently (docs/contract-decisions.md).
RETRIED_BY_THE_SDK = (408, 409, 429)
WANTED = {
    "accepted": "200 and a Video",
    "rejected": "400 (refused as invalid)",
    "tolerated": "200 or 400, never a 5xx",
    "not-found": "404",
    "unauthorized": "401",
    "refused-at-once": "400 or 404 (refused at once)",
}


def wanted(expect: str, status: int) -> bool:
    """Whether ``status`` is the answer a case expecting ``expect`` wants."""
    rejection = 400 <= status < 500 and status not in NOT_A_REJECTION
    accepted = 200 <= status < 300
    return {"accepted": accepted, "rejected": rejection, "tolerated": accepted or rejection,
            "not-found": status == 404, "unauthorized": status == 401,
            "refused-at-once": 400 <= status < 500 and status not in (401, 403, 405, *RETRIED_BY_THE_SDK)}[expect]


@check(None)
def case_expectation(ctx: CheckContext, answer: "Response") -> Any:
    """The answer the case exists to get: accepted, rejected as invalid, tolerated, 404 or 401. In live
    traffic, a 404 to a request naming a video is judged at the end (``expectation_later``): a delete of
    it sent at the same time by another client may be recorded after it."""
    if _deferred(ctx, answer):
        return NOT_APPLICABLE
    return _expectation(ctx, answer)


@at_end(None)
def expectation_later(ctx: CheckContext):
    """Live traffic: the 404s to requests naming a video, unless a delete of it was sent before they came."""
    if not ctx.judging.live:
        return
    for answer in ctx.history:
        if answer.case is None or answer.superseded or not _deferred(ctx.on(answer.case), answer):
            continue
        job = _named_job(ctx, answer)
        if job is not None and job.maybe_deleted(answer):
            continue
        try:
            outcome = _expectation(ctx.on(answer.case), answer)
        except (ContractViolation, Blocked, NotVerifiable) as found:
            clause_id = found.clause_id if isinstance(found, ContractViolation) else answer.case.clause
            yield clause_id, found, answer
            continue
        if outcome is not NOT_APPLICABLE:
            for clause_id, found in outcome:
                yield clause_id, found, answer


def _deferred(ctx: CheckContext, answer: "Response") -> bool:
    return ctx.judging.live and answer.ok and answer.status == 404 and ctx.case.clause is not None \
        and ctx.case.expect not in (None, "not-found") and _named_job(ctx, answer) is not None


def _named_job(ctx: CheckContext, answer: "Response") -> Any:
    """The job of the record a request names: in its path, or as the source of an edit or extension."""
    from contracts.history import path_id, source_of
    from contracts.rules import CONTENT, DELETE, REMIX, RETRIEVE

    case = answer.case
    named = path_id(case.path) if case.operation in (CONTENT, DELETE, REMIX, RETRIEVE) else source_of(case)
    return ctx.history.named(named, answer)


def _expectation(ctx: CheckContext, answer: "Response") -> Any:
    case = ctx.case
    if case.expect is None or case.clause is None:
        return NOT_APPLICABLE  # a packed create of the plan: split when refused, never judged whole
    what = f"'{case.name}'"
    if not answer.ok:
        raise Blocked("response.transport", f"{what} got no answer ({answer.transport_error})")
    status = answer.status
    if status == 429 and case.expect != "refused-at-once":
        return NOT_APPLICABLE  # rate limited to the end (after retries): nothing to judge
    if status in (401, 403) and not case.key_proven and case.expect != "unauthorized":
        return NOT_APPLICABLE  # a key no answer accepted yet, refused: a wrong key or the server's fault, untold
    if wanted(case.expect, status):
        return [(case.clause, None)]
    if case.by_param and 400 <= status < 500 and status not in (404, 405):
        return _attributed(ctx, answer)
    hint = _hint(case, status)
    raise ContractViolation(case.clause, f"{what} was answered {status}{hint}", field="status",
                            received=f"{status} {error_summary(answer)}".strip(),
                            expected=accepted_answer(ctx) if case.expect == "accepted" else WANTED[case.expect],
                            wanted=case.expect, explained_by=_needs(ctx, case.clause))


def _needs(ctx: CheckContext, clause_id: str) -> str | None:
    """Live traffic: the first prerequisite the catalogue declares for ``clause_id`` of its own (not the
    baseline, a job, a completed video: what every clause needs), which explains its finding when it
    failed (a run does not send the case then; traffic does). None in a run."""
    if not ctx.judging.live:
        return None
    from contracts import clauses

    shared = {*clauses.BASELINE, *clauses.VIDEO, *clauses.COMPLETED, *clauses.EVERY_JOB}
    return next((cid for cid in clauses.REQUIRES.get(clause_id, ()) if cid not in shared), None)


def _hint(case, status: int) -> str:
    """Why an unwanted status matters to a client, where it does."""
    hint = ""
    if status == 422:
        hint = " (422 is FastAPI's validation status; OpenAI clients expect 400)"
    elif status in RETRIED_BY_THE_SDK and case.expect == "refused-at-once":
        hint = " (the openai SDK retries it: a client waits, then gets the same refusal)"
    elif 200 <= status < 300 and case.expect == "rejected":
        hint = " (accepted: the server does not validate this)"
    elif status in (404, 405) and case.expect not in ("not-found", "unauthorized", "refused-at-once"):
        hint = f" (no such route: the server does not offer {case.method} {case.operation[1] if case.operation else case.path})"
    return hint


def _attributed(ctx: CheckContext, answer: "Response") -> Any:
    """A refused request of several properties (live traffic: ``Case.by_param``) is the refusal of the
    property its error names (the envelope's ``param``); a 415 refuses a create's encoding; a parameter
    named that the request did not send is one the server requires although the contract does not (one
    with a default: create.optional-fields-omittable; another: the create's encoding as sent). A refusal
    naming nothing it can place is the request's own clause when it tests no other, else not verified."""
    case, status = ctx.case, answer.status
    param, code = error_param(answer), error_code(answer)
    base = param.split("[", 1)[0] if param else None
    sent = any(name.split("[", 1)[0] == base for name in (*case.params, *(f[0] for f in case.files)))
    target = None
    if status == 415 and case.operation == CREATE:
        target = (f"create.{case.encoding}-accepted", "accepted")
    elif param and case.operation == CREATE and base != "prompt" and (not sent or code == "missing_required_parameter"):
        # a parameter the server requires that the contract does not: one with a default may be omitted;
        # another (a file with a multipart create) is what the encoding as sent lacks
        target = ("create.optional-fields-omittable" if base in ctx.rules.defaults else f"create.{case.encoding}-accepted",
                  "accepted")
    elif code == "invalid_type" and case.operation == CREATE and (param in case.by_param or base in case.by_param):
        # a valid value refused for its type: the server misreads the encoding (multipart values JSON-decoded)
        target = (f"create.{case.encoding}-accepted", "accepted")
    elif param in case.by_param or base in case.by_param:
        target = case.by_param.get(param) or case.by_param[base]
    elif param:
        return NOT_APPLICABLE  # a parameter sent that the traffic cannot judge (an ordinary prompt, an http image_url)
    else:
        wanting = sorted({c for c, e in case.by_param.values() if e == "accepted"}
                         | ({case.clause} if case.expect == "accepted" else set()))
        if len(wanting) == 1:
            target = (wanting[0], "accepted")
        else:
            return [(case.clause, NotVerifiable(f"'{case.name}' was refused ({status}) without naming the parameter "
                                                f"(error.param): the traffic cannot tell which of {', '.join(wanting)} "
                                                "it refuses"))]
    clause_id, expect = target
    if wanted(expect, status):
        return [(clause_id, None)]
    named = f" for '{param}'" if param else ""
    return [(clause_id, ContractViolation(
        clause_id, f"'{case.name}' was answered {status}{named}{_hint(case, status)}", field="status",
        received=f"{status} {error_summary(answer)}".strip(), expected=WANTED[expect], wanted=expect,
        explained_by=_needs(ctx, clause_id)))]


def error_param(answer: "Response") -> str | None:
    """The parameter an error answer names (``error.param``), if it names one."""
    return _error_field(answer, "param")


def error_code(answer: "Response") -> str | None:
    """The error's ``code`` (``missing_required_parameter``, ``invalid_type``...), if it gives one."""
    return _error_field(answer, "code")


def _error_field(answer: "Response", name: str) -> str | None:
    error = (answer.json_object() or {}).get("error")
    value = error.get(name) if isinstance(error, dict) else None
    return value if isinstance(value, str) and value else None


def accepted_answer(ctx: CheckContext) -> str:
    """What an accepted case is documented to get: 200 and its operation's schema (a Video, the
    deletion object...), read from the spec."""
    name = ctx.spec.response_schema_name(*ctx.case.operation, 200) if ctx.case.operation else None
    return {None: "200", "Video": "200 and a Video", "DeletedVideo": "200 and a DeletedVideo (the deletion object)"}.get(
        name, f"200 and a {name}")


@check(None)
def carried(ctx: CheckContext, answer: "Response") -> Any:
    """A packed create passes every clause it carries when it is accepted; refused, it says nothing
    yet (the plan splits it); with no answer, its clauses are blocked by response.transport."""
    carries = ctx.case.carries
    if not carries:
        return NOT_APPLICABLE
    if not answer.ok:
        return [(cid, Blocked("response.transport", f"'{ctx.case.name}' got no answer")) for cid in carries]
    if not 200 <= answer.status < 300 or not isinstance((answer.json_object() or {}).get("id"), str):
        return NOT_APPLICABLE
    return [(cid, None) for cid in carries]


@check(None)
def encoding_refused(ctx: CheckContext, answer: "Response") -> Any:
    """A property refused in one encoding and accepted alone in the other: the refusal is the
    first encoding's (create.json-accepted or create.multipart-accepted), shown by the refused answer."""
    earlier = ctx.history.get(ctx.case.contrast) if ctx.case.contrast else None
    if earlier is None or earlier.case is None or not answer.ok or not 200 <= answer.status < 300:
        return NOT_APPLICABLE
    if not earlier.ok or 200 <= earlier.status < 300:
        return NOT_APPLICABLE
    encoding = earlier.case.encoding
    clause_id = f"create.{encoding}-accepted"
    return [(clause_id, ContractViolation(
        clause_id, f"'{earlier.case.name}' was refused as {encoding} while the same create as "
        f"{ctx.case.encoding} was accepted", field="status", received=f"{earlier.status} {error_summary(earlier)}".strip(),
        expected="200 and a Video", shown_by=earlier))]


# ---- the baseline creates, judged together --------------------------------------------------------
ENCODINGS = ("json", "multipart")


def _accepted(answer: "Response | None") -> bool:
    return answer is not None and answer.ok and 200 <= answer.status < 300 \
        and isinstance((answer.json_object() or {}).get("id"), str)


def _shape(answer: "Response") -> str:
    """A baseline create with only the prompt ("short"), with model, seconds and size ("full"), or
    with a model besides the prompt ("other": it shows its encoding taken, and nothing of omission)."""
    given = set(answer.case.params) - {"prompt"}
    return "short" if not given else "full" if {"model", "seconds", "size"} <= given else "other"


def _refusal(clause_id: str, answer: "Response", message: str) -> Found:
    """The baseline create not taken: refused (a finding about its status), or answered 2xx without a
    Video (about its body: the schema clause's, when that failed on it)."""
    if not answer.ok:
        return Blocked("response.transport", f"'{answer.case.name}' got no answer")
    accepted = 200 <= answer.status < 300
    return ContractViolation(clause_id, message + (f" (answered {answer.status} without a Video)" if accepted else ""),
                             field="body" if accepted else "status",
                             received=f"{answer.status} {error_summary(answer)}".strip(), expected="200 and a Video")


@at_end("create.json-accepted")
def encodings_accepted(ctx: CheckContext):
    """Each encoding takes the simplest create (only the prompt; else with model, seconds and size):
    one refused where the other encoding accepted the same create is that encoding's refusal; no
    create accepted at all is said once, by JSON's clause, and blocks the other."""
    baseline = [a for a in ctx.history if a.case is not None and a.case.purpose == "baseline" and not a.superseded]
    if not baseline:
        return  # none sent (live traffic may send none): not exercised
    sent = {(a.case.encoding, _shape(a) == "full"): a for a in baseline if _shape(a) != "other"}
    anything = any(_accepted(a) for a in baseline)
    # "nothing accepted at all" is said once, by the first encoding of those sent
    speaker = next(e for e in ENCODINGS if any(a.case.encoding == e for a in baseline))
    for encoding in ENCODINGS:
        clause_id = f"create.{encoding}-accepted"
        other = next(e for e in ENCODINGS if e != encoding)
        mine = [sent[(encoding, full)] for full in (False, True) if (encoding, full) in sent]
        taken = [a for a in baseline if a.case.encoding == encoding and _accepted(a)]
        if taken:
            yield clause_id, None, taken[0]
        elif not mine:
            if not ctx.judging.live:  # the traffic sent none in this encoding: not exercised
                yield clause_id, NotVerifiable("no baseline create was sent in this encoding"), None
        elif anything:
            for full in (False, True):
                answer, control = sent.get((encoding, full)), sent.get((other, full))
                if answer is not None and _accepted(control):
                    yield clause_id, _refusal(clause_id, answer, f"'{answer.case.name}' was refused while the same "
                                              f"create as {other} was accepted"), answer
                    break
        elif encoding == speaker:
            yield clause_id, _refusal(clause_id, mine[-1], "no create was accepted in any encoding, with only the "
                                      "prompt or with model, seconds and size: every clause that needs a video is "
                                      "blocked"), mine[-1]
        else:
            yield clause_id, Blocked(f"create.{speaker}-accepted", "no create was accepted at all"), None


@at_end("create.optional-fields-omittable")
def fields_omittable(ctx: CheckContext):
    """A create giving only the prompt is accepted; refused where the same create with model, seconds
    and size was accepted, one of those fields is required."""
    sent = {(a.case.encoding, _shape(a) == "full"): a for a in ctx.history if a.case is not None
            and a.case.purpose == "baseline" and not a.superseded and _shape(a) != "other"}
    for encoding in ENCODINGS:
        short, full = sent.get((encoding, False)), sent.get((encoding, True))
        if short is None:
            continue
        if _accepted(short):
            yield "create.optional-fields-omittable", None, short
        elif _accepted(full) and short.ok:
            yield "create.optional-fields-omittable", _refusal(
                "create.optional-fields-omittable", short,
                f"'{short.case.name}' was refused while the same create with model, seconds and size was accepted"), short
