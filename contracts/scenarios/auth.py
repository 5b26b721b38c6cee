"""Bearer auth: checked only when the run has a key (the embedded server always gets one)."""

from __future__ import annotations

from contracts import cases
from contracts.context import RunContext
from contracts.scenarios.state import RunState

WRONG_KEY = "sk-videos-contract-wrong-key"


def run(ctx: RunContext, state: RunState) -> None:
    if not ctx.options.api_key:
        for cid in ("auth.missing-key-rejected", "auth.wrong-key-rejected"):
            ctx.recorder.skipped(cid, "no API key given (--api-key or OPENAI_API_KEY), so auth cannot be checked")
        return
    # Every operation, not only the list: an open download endpoint is a leak too. The probes use
    # a video the run created and has not deleted, so they hit the real handlers, not a 404.
    alive = [v["id"] for v in state.jobs if isinstance(v.get("id"), str) and v["id"] not in ctx.deleted]
    video_id = state.completed_id if state.completed_id in alive else (alive[0] if alive else None)
    for clause_id, auth, label in (("auth.missing-key-rejected", None, "without a key"),
                                   ("auth.wrong-key-rejected", WRONG_KEY, "with a wrong key")):
        probes = [cases.call(f"list {label}", "GET", "/videos", query={"limit": 1}, auth=auth)]
        if video_id:
            probes += [
                cases.call(f"retrieve {label}", "GET", "/videos/{video_id}", video_id, auth=auth),
                cases.call(f"content {label}", "GET", "/videos/{video_id}/content", video_id, auth=auth,
                           partial_body=True),
                cases.call(f"delete {label}", "DELETE", "/videos/{video_id}", video_id, auth=auth),
            ]
        for case in probes:
            ctx.send_expecting(clause_id, case, statuses=(401,))
