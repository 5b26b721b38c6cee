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
    for clause_id, auth, label in (("auth.missing-key-rejected", None, "without a key"),
                                   ("auth.wrong-key-rejected", WRONG_KEY, "with a wrong key")):
        ctx.send_expecting(clause_id, cases.call(f"list {label}", "GET", "/videos", query={"limit": 1}, auth=auth),
                           statuses=(401,))
