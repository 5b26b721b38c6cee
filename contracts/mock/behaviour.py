"""How the server behaves for a set of fault names: the faults, the rules they patch, the validator.

The server's faults may change while it runs: per request (``X-Videos-Mock-Fault: NAME[,NAME]``,
``X-Videos-Mock-Persona: NAME``, as Steady's ``X-Steady-*`` and Prism's ``Prefer`` headers), per
namespace or for the whole server (``PUT /_mock/faults``). Each distinct set of names is one
``Behaviour``, built on first use (a fault may patch the spec, so the rules and the validator are
its own) and kept in a small cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from threading import Lock

from contracts.mock.config import MockConfig
from contracts.mock.errors import APIError, echoed
from contracts.mock.faults import CATALOGUE, FaultSet, fault_set
from contracts.mock.media import Media
from contracts.mock.validation import RequestValidator
from contracts.profile import load_profile
from contracts.rules import Rules
from contracts.spec import load_spec

FAULT_HEADER = "x-videos-mock-fault"
PERSONA_HEADER = "x-videos-mock-persona"
CACHED_BEHAVIOURS = 64  # distinct fault sets kept built (a client can name any number of them)


@dataclass(frozen=True)
class Behaviour:
    names: frozenset[str]
    faults: FaultSet
    rules: Rules
    validator: RequestValidator
    media: Media


class Behaviours:
    """Every fault set's behaviour, built once (the server's own first, at start)."""

    def __init__(self, config: MockConfig):
        self.config = config
        self._profile = None if config.rules is not None else load_profile(config.profile)
        self._cache: OrderedDict[frozenset[str], Behaviour] = OrderedDict()
        self._lock = Lock()

    def get(self, names: Iterable[str]) -> Behaviour:
        names = frozenset(names)
        with self._lock:
            found = self._cache.get(names)
            if found is not None:
                self._cache.move_to_end(names)
                return found
        built = self._build(names)
        with self._lock:
            self._cache[names] = built
            while len(self._cache) > CACHED_BEHAVIOURS:
                self._cache.popitem(last=False)
        return built

    def _build(self, names: frozenset[str]) -> Behaviour:
        faults = fault_set(names)
        rules = self.rules(faults)
        media = Media(rules.variants, rules.variant_media_types, default_size=rules.defaults["size"],
                      default_seconds=rules.defaults["seconds"])
        return Behaviour(names, faults, rules, RequestValidator(rules), media)

    def rules(self, faults: FaultSet) -> Rules:
        """Explicit ``config.rules``, else the spec patched by the profile and then by the faults."""
        if self._profile is None:
            return faults.patch_rules(self.config.rules)
        spec = self._profile.apply(load_spec(self.config.spec_path))
        return faults.patch_rules(self._profile.rules(faults.patch_spec(spec)))

    def policy_for(self, names: tuple[str, ...]) -> FaultSet:
        """The faults of a job created with ``names`` (read back from a store file)."""
        return self.get(n for n in names if n in CATALOGUE).faults


def requested(fault_header: str | None, persona_header: str | None) -> frozenset[str]:
    """The faults a request asks for in its headers; 400 with the envelope for an unknown name."""
    if fault_header is None and persona_header is None:
        return frozenset()
    names = [n.strip() for n in (fault_header or "").split(",") if n.strip()]
    return named(names, persona_header.strip() if persona_header is not None else None,
                 where=(FAULT_HEADER.title(), PERSONA_HEADER.title()))


def named(faults: Iterable[str], persona: str | None, where: tuple[str, str] = ("faults", "persona")) -> frozenset[str]:
    """Fault and persona names as ``--fault`` and ``--persona`` take them, checked: 400 naming the
    unknown one and listing the known ones."""
    from contracts.mock.personas import PERSONAS

    names = set()
    for name in faults:
        if name not in CATALOGUE:
            raise APIError(400, f"Unknown fault '{echoed(name)}' in {where[0]}. Known faults: {', '.join(CATALOGUE)}.",
                           param=where[0], code="unknown_fault")
        names.add(name)
    if persona:
        if persona not in PERSONAS:
            raise APIError(400, f"Unknown persona '{echoed(persona)}' in {where[1]}. Known personas: "
                           f"{', '.join(PERSONAS)}.", param=where[1], code="unknown_persona")
        names.update(PERSONAS[persona].faults)
    return frozenset(names)
