"""Generated cases: schemathesis draws create bodies from the spec, reproducibly for a seed.

Draws are cached on disk, keyed by everything that decides them (the spec document, the mode, the
count, the seed, the versions of schemathesis and hypothesis): the same run again, on a developer's
machine or a CI runner with a cache, skips schemathesis' import and generation (about 0.6 s of
CPU). ``VIDEOS_CONTRACT_CACHE=0`` turns the cache off; ``VIDEOS_CONTRACT_CACHE=DIR`` moves it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from contracts.spec import Spec

CACHE_ENV = "VIDEOS_CONTRACT_CACHE"
IMAGE_FIELDS = ("input_reference", "input_reference[image_url]", "input_reference[file_id]")
Drawn = list[tuple[str, Any]]  # (media type, body); body None when it could not be kept

# How the kit draws (part of the cache key): bumped when a change draws other cases for the same
# seed, so that no cache keeps the old ones. 2: drawn without hypothesis' local constants.
DRAWING = 2
_OPERATIONS: dict[tuple[int, bool], object] = {}


def _operation(spec: Spec, json_only: bool):
    """The create operation as schemathesis sees it, from the run's (possibly profiled) spec."""
    key = (id(spec.document), json_only)
    if key not in _OPERATIONS:
        import schemathesis

        document = copy.deepcopy(spec.document)
        # The suite sends the key itself; without this, negative mode spends most draws on the header.
        document.pop("security", None)
        if json_only:  # schemathesis draws the media type itself; keep only JSON to steer it
            content = document["paths"]["/videos"]["post"]["requestBody"]["content"]
            document["paths"]["/videos"]["post"]["requestBody"]["content"] = {
                "application/json": content["application/json"]}
        _OPERATIONS[key] = schemathesis.openapi.from_dict(document)["/videos"]["POST"]
    return _OPERATIONS[key]


def draw(spec: Spec, mode: str, count: int, seed: int) -> Drawn:
    """``count`` (media type, body) pairs for ``mode``, from the cache or drawn by schemathesis."""
    path = _cache_path(spec, mode, count, seed)
    if path is not None:
        try:
            return [(media_type, body) for media_type, body in json.loads(path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            pass  # no cache yet, or an unreadable one: draw
    drawn = [(media_type, _keepable(body)) for media_type, body in _draw(spec, mode, count, seed)]
    if path is not None:
        _write(path, drawn)
    return drawn


def _draw(spec: Spec, mode: str, count: int, seed: int) -> Drawn:
    """``count`` (media type, body) pairs drawn by schemathesis, reproducibly for a given seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from schemathesis import GenerationMode

    drawn: list[tuple[str, Any]] = []
    # Negative multipart is left out: text parts turn wrong types back into valid strings (shared notes).
    strategy = _operation(spec, mode == "negative").as_strategy(generation_mode=GenerationMode(mode))

    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(case) -> None:
        drawn.append((case.media_type, case.body))

    with _without_local_constants():
        collect()
    return drawn


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis mixes into its draws constants read from the source of "local" modules (any
    loaded module outside site-packages): the kit's own modules when it is installed editable, and
    which of them are loaded differs between the CLI, pytest and a worker process. A seed would then
    draw different cases from one install or entry point to the next. Drawn without them, it draws
    the same cases everywhere. (Hypothesis internals: left as they are if they have moved.)"""
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers.Constants(integers=providers.SortedSet(), floats=providers.SortedSet(
            key=providers.float_to_int), bytes=providers.SortedSet(), strings=providers.SortedSet())
        original = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError, TypeError):
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.cache.clear()  # permitted constants computed with the local ones
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def _keepable(body: Any) -> Any:
    """The body as plain JSON data (what the suite can send), or None. Files that schemathesis
    attaches (random bytes, never an image of the right size) are dropped here."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if not (k in IMAGE_FIELDS and not isinstance(v, str))}
    try:
        return json.loads(json.dumps(body))
    except (TypeError, ValueError):
        return None


def _cache_root() -> Path | None:
    """The kit's cache folder (None: ``VIDEOS_CONTRACT_CACHE=0``)."""
    setting = os.environ.get(CACHE_ENV, "")
    if setting == "0":
        return None
    return Path(setting) if setting else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "videos-contract"


HYPOTHESIS_HOME_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"


def keep_hypothesis_storage_out_of_the_cwd() -> None:
    """Hypothesis, drawing the cases, writes its storage (local constants, unicode data) into
    ``.hypothesis/`` of the current folder, a user's checkout: a run of the command line puts it in
    the kit's cache folder instead (a temporary one when the cache is off), unless told otherwise."""
    if not os.environ.get(HYPOTHESIS_HOME_ENV):
        root = _cache_root() or Path(tempfile.gettempdir()) / "videos-contract"
        os.environ[HYPOTHESIS_HOME_ENV] = str(root / "hypothesis")


def _cache_path(spec: Spec, mode: str, count: int, seed: int) -> Path | None:
    root = _cache_root()
    if root is None:
        return None
    versions = []
    for package in ("schemathesis", "hypothesis"):
        try:
            versions.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            versions.append("?")
    key = json.dumps([spec.document, mode, count, seed, versions, DRAWING], sort_keys=True, default=str)
    return root / f"draws-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _write(path: Path, drawn: Drawn) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as out:
            json.dump(drawn, out)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only home: no cache, same cases
