"""The values a target must accept: the spec's enums, limits and defaults, in one place.

Everything is read from the spec; a target profile (self-hosted servers serve their own models,
sizes and durations) rewrites those in a copy of the spec (contracts/profile.py), so the rules
follow without touching the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.spec import Spec

CREATE_SCHEMA = "CreateVideoRequest"


@dataclass(frozen=True)
class Rules:
    models: tuple[str, ...]
    seconds: tuple[str, ...]
    sizes: tuple[str, ...]
    defaults: dict[str, str]
    prompt_min: int
    prompt_max: int
    create_fields: tuple[str, ...]  # the documented create parameters
    profile: str = "openai"
    changed: frozenset[str] = field(default_factory=frozenset)  # what a profile replaced (contracts/profile.py)

    @classmethod
    def from_spec(cls, spec: Spec) -> "Rules":
        props = spec.properties(CREATE_SCHEMA)
        prompt_min, prompt_max = spec.string_limits("Prompt")
        return cls(
            models=tuple(spec.enum("VideoModel")),
            seconds=tuple(spec.enum("VideoSeconds")),
            sizes=tuple(spec.enum("VideoSize")),
            defaults={name: str(props[name]["default"]) for name in ("model", "seconds", "size")},
            prompt_min=prompt_min,
            prompt_max=prompt_max,
            create_fields=tuple(props),
        )

    @staticmethod
    def pixel_size(size: str) -> tuple[int, int]:
        width, height = size.lower().split("x")
        return int(width), int(height)
