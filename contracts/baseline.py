"""The baseline: the simplest create this target accepts, in each encoding, found before anything else.

Every later create case is built from it and varies exactly the one property its clause is about
(``Baseline.case``): the prompt's length on a target that requires ``model`` is tried *with*
``model``, prompts go in an encoding the target accepts, and so on. A refusal then says something
about that property and nothing else.

The baseline is found in a fixed order (``CANDIDATES``): JSON and multipart with only the prompt,
then both with model, seconds and size given (from the profile). A rejection costs no GPU job.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from contracts import cases
from contracts.cases import Case, FileField
from contracts.rules import Rules

ENCODINGS = ("json", "multipart")
PROMPT = "a paper boat drifting on a calm lake at dawn"


@dataclass
class Candidate:
    encoding: str
    full: bool  # model, seconds and size given (else only the prompt)
    case: Case
    accepted: bool | None = None  # None: not sent (e.g. the create cap)


def candidates(rules: Rules) -> list[Candidate]:
    """The baseline creates, in the order they are sent."""
    out = []
    for full, encoding in itertools.product((False, True), ENCODINGS):
        params = {"prompt": PROMPT, **({name: rules.defaults[name] for name in ("model", "seconds", "size")}
                                       if full else {})}
        label = "model, seconds and size given" if full else "only the prompt"
        case = cases.create(f"baseline: {label}", encoding, params, expect="accepted")
        if full:
            # the defaults named and accepted: their values need no create of their own in the plan
            case.carries = tuple(f"create.{name}.every-value-accepted" for name, values in
                                 (("model", rules.models), ("seconds", rules.seconds), ("size", rules.sizes))
                                 if rules.defaults[name] in values)
        out.append(Candidate(encoding, full, case))
    return out


@dataclass
class Baseline:
    """Per encoding, the params of the simplest create the target accepted."""

    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    explicit_defaults: set[str] = field(default_factory=set)  # encodings that took model, seconds, size given
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def accepts(self, encoding: str) -> bool:
        return encoding in self.accepted

    @property
    def any(self) -> bool:
        return bool(self.accepted)

    def encoding(self, preferred: str) -> str | None:
        """``preferred`` when the target takes it, else the other encoding it takes, else None."""
        if self.accepts(preferred):
            return preferred
        return next((e for e in ENCODINGS if self.accepts(e)), None)

    def numbered_prompt(self) -> str:
        """The baseline's prompt, numbered: ids derived from prompts stay apart."""
        return f"{PROMPT} (case {next(self._serial)})"

    def params(self, encoding: str) -> dict[str, Any]:
        return dict(self.accepted[encoding])

    def case(self, name: str, clause: str, expect: str, *, encoding: str = "json", only: bool = False,
             changes: dict[str, Any] | None = None, omit: tuple[str, ...] = (),
             files: list[FileField] | None = None, prompt: str | None = None) -> Case | None:
        """A create that differs from the accepted baseline by ``changes`` and ``omit`` alone, in
        ``encoding`` if the target takes it (``only``: that encoding or nothing), else in the
        other. None when no encoding is left. Each case gets a prompt of its own (the baseline's,
        numbered), unless ``prompt`` or ``changes`` sets one: ids derived from prompts stay apart."""
        chosen = encoding if only and self.accepts(encoding) else (None if only else self.encoding(encoding))
        if chosen is None:
            return None
        params = self.params(chosen)
        params["prompt"] = prompt if prompt is not None else self.numbered_prompt()
        params.update(changes or {})
        for name in omit:
            params.pop(name, None)
        return cases.create(name, chosen, params, files=files, clause=clause, expect=expect)
