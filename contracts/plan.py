"""The plan of the valid creates: a covering set of few creates, each carrying several properties.

Every create a real server accepts is a GPU job, so the valid-create clauses are not tried one
create each. Each clause's property (a prompt form, a value of ``model``, ``seconds`` or
``size``, an image reference, the encoding it needs) is a ``Property``; ``pack`` puts
independent properties together into as few creates as it can (first fit: a create holds one
prompt, one image reference, one value per field, one encoding). Against the documented contract
that is 5 creates (one per model) for what took 24 single-property creates, one job each; 4 when
the prompt-only baseline create was answered with the default model (that value is then served
and needs no create of its own).

The packs that set only what a generated valid create also has (model, seconds, size: no prompt,
image or encoding of their own) ride on the generated valid creates, as does the unknown model
name (``create_valid.carry``): against the documented contract the last pack and the unknown model,
on the 2 generated creates sent under the default cap, so that those cost no job of their own.

An accepted packed create passes every clause it carries. A refused one costs no job and says
nothing yet: it is split, and each of its properties is sent alone, built on the accepted
baseline (``Baseline.case``), so that the clause of the property responsible, and only that one,
fails (attribution stays exact). Compound prompts split the same way: the unusual-characters
prompt into its parts, the 32000-character mixed prompt into its ASCII, 2-byte and 4-byte forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.cases import Case, FileField
from contracts.rules import Rules

UNUSUAL_PROMPTS = {
    "emoji and ZWJ sequences": "A cat 🐱‍👤 surfing a wave 🌊 at dusk, 👩🏽‍🚀 waving",
    "a NUL character": "before\x00after: a lighthouse in fog",
    "right-to-left and combining marks": "مرحبا بالعالم — שלום עולם — cafe\u0301 re\u0301sume\u0301",
}
# The multi-byte characters of the maximum-length prompts: (encoding, character, label). A short
# prompt of the same character is an unusual-unicode case: a refused long one is judged only when
# the character itself is accepted.
MULTIBYTE = (("json", "é", "2-byte"), ("multipart", "🎬", "4-byte"))
MULTIBYTE_CONTROL_LENGTH = 40
ENUMS = (("model", "models"), ("seconds", "seconds"), ("size", "sizes"))
IMAGE_FIELDS = ("input_reference", "input_reference[image_url]")
MAX_LENGTH = "create.prompt.max-length-accepted"
MULTIBYTE_MAX = "create.prompt.multibyte-max-length-accepted"
UNUSUAL = "create.prompt.unusual-unicode-accepted"


@dataclass
class Property:
    """What one valid-create clause needs of a create. A compound (``parts``) splits into its parts."""

    clause: str
    name: str  # "model=sora-2-pro", "prompt of 1 character"
    changes: dict[str, Any] = field(default_factory=dict)  # fields this property sets
    prompt: str | None = None
    encoding: str | None = None  # the encoding it must be sent in, or None for either
    files: list[FileField] = field(default_factory=list)
    unechoed: tuple[str, ...] = ()  # fields sent but not part of what the create echoes
    parts: tuple[Property, ...] = ()
    # how it is sent alone, when it differs: an image reference then takes the default size, which
    # the baseline showed accepted, so that a refusal is the image's and not the size's
    alone: Property | None = None

    @property
    def clauses(self) -> tuple[str, ...]:
        if not self.parts:
            return (self.clause,)
        return tuple(dict.fromkeys(c for part in self.parts for c in part.clauses))

    @property
    def has_image(self) -> bool:
        return bool(self.files) or any(name in self.changes for name in IMAGE_FIELDS)


@dataclass
class Pack:
    """One create of the plan: the properties it carries, its encoding and fields."""

    properties: list[Property] = field(default_factory=list)
    encoding: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    prompt: Property | None = None
    image: bool = False

    @classmethod
    def of(cls, properties: list[Property], encoding: str) -> Pack:
        """The properties in one create, in the encoding one of them needs, else ``encoding``."""
        packed = cls()
        for prop in properties:
            packed.add(prop)
        packed.encoding = packed.encoding or encoding
        return packed

    def fits(self, prop: Property) -> bool:
        if prop.encoding and self.encoding and prop.encoding != self.encoding:
            return False
        if prop.prompt is not None and self.prompt is not None:
            return False
        if prop.has_image and self.image:
            return False
        return all(self.changes.get(k, v) == v for k, v in prop.changes.items())

    def add(self, prop: Property) -> None:
        self.properties.append(prop)
        self.encoding = self.encoding or prop.encoding
        self.changes.update(prop.changes)
        self.prompt = self.prompt or (prop if prop.prompt is not None else None)
        self.image = self.image or prop.has_image

    @property
    def clauses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for prop in self.properties for c in prop.clauses))

    @property
    def name(self) -> str:
        return "packed: " + " + ".join(prop.name for prop in self.properties)


def pack(properties: list[Property]) -> list[Pack]:
    """First fit, in the order given (the most constrained properties first)."""
    packs: list[Pack] = []
    for prop in properties:
        home = next((p for p in packs if p.fits(prop)), None)
        if home is None:
            home = Pack()
            packs.append(home)
        home.add(prop)
    return packs


def carriable(packed: Pack) -> bool:
    """A pack that sets only fields any create may also set (model, seconds, size): no prompt of its
    own, no image, no encoding it needs. A generated create, or a baseline create, can carry it."""
    return packed.prompt is None and not packed.image and not any(p.encoding or p.parts for p in packed.properties)


def carried_by(case: "Case", props: list[Property]) -> "tuple[Case, Pack] | None":
    """``case`` (a create with only the prompt) carrying the plan's first carriable pack, marked as a
    baseline create that carries its clauses; None when no pack is carriable."""
    from contracts import cases

    packed = next((p for p in pack(props) if carriable(p)), None)
    if packed is None:
        return None
    carrier = cases.create(f"baseline: only the prompt, and {packed.name.split(': ', 1)[-1]}", case.encoding,
                           {**case.params, **packed.changes}, expect="accepted")
    carrier.purpose, carrier.carries = case.purpose, packed.clauses
    return carrier, packed


def image_data_url(width: int, height: int) -> str:
    import base64

    from contracts import cases

    return "data:image/png;base64," + base64.b64encode(cases.image_bytes(width, height)).decode()


def properties(rules: Rules, *, skip_values: dict[str, set[str]] | None = None) -> list[Property]:
    """Every valid-create property, most constrained first: image references (an encoding, a size
    and the image field), then the prompts, then the enum values. ``skip_values``: enum values the
    baseline already showed accepted."""
    from contracts import cases

    skip_values = skip_values or {}
    sizes = list(rules.sizes)
    out: list[Property] = []
    # Image references, each with a size of its own and an image of that pixel size.
    image_url = "create.image-url-reference-accepted"
    def image(clause: str, encoding: str, label: str, size: str) -> Property:
        width, height = rules.pixel_size(size)
        changes: dict[str, Any] = {"size": size}
        files: list[FileField] = []
        unechoed: tuple[str, ...] = ()
        if label.startswith("input_reference {"):
            changes["input_reference"] = {"image_url": image_data_url(width, height)}
        elif label.endswith("PNG"):
            files = [cases.image_file(width, height)]
        else:
            changes["input_reference[image_url]"] = image_data_url(width, height)
            unechoed = ("input_reference[image_url]",)
        return Property(clause, f"{label} {width}x{height} (size {size})", changes, encoding=encoding, files=files,
                        unechoed=unechoed)

    for index, (clause, encoding, label) in enumerate((
            (image_url, "json", "input_reference {image_url: data URL}"),
            ("create.image-reference-accepted", "multipart", "input_reference PNG"),
            (image_url, "multipart", "input_reference[image_url] bracket field"))):
        prop = image(clause, encoding, label, sizes[index % len(sizes)])
        if prop.changes["size"] != rules.defaults["size"]:
            prop.alone = image(clause, encoding, label, rules.defaults["size"])
        out.append(prop)
    # The prompts: the shortest, the unusual characters, the longest (ASCII, 2-byte and 4-byte).
    out.append(Property("create.prompt.min-length-accepted", f"prompt of {rules.prompt_min} character",
                        prompt="a" * rules.prompt_min))
    unusual = [Property(UNUSUAL, f"prompt with {label}", prompt=text, encoding=encoding)
               for (label, text), encoding in zip(UNUSUAL_PROMPTS.items(), ("json", "json", "multipart"))]
    unusual += [Property(UNUSUAL, f"prompt of {MULTIBYTE_CONTROL_LENGTH} {label} characters", encoding=encoding,
                         prompt=char * MULTIBYTE_CONTROL_LENGTH) for encoding, char, label in MULTIBYTE]
    out.append(Property(UNUSUAL, "prompt with every unusual character", parts=tuple(unusual),
                        prompt=" | ".join(p.prompt or "" for p in unusual)))
    longest = rules.prompt_max
    ascii_max = ("videos-contract boundary " * (longest // 20 + 1))[:longest]
    singles = [Property(MAX_LENGTH, f"prompt of {longest} ASCII characters", prompt=ascii_max)]
    singles += [Property(MULTIBYTE_MAX, f"prompt of {longest} {label} characters", prompt=char * longest,
                         encoding=encoding) for encoding, char, label in MULTIBYTE]
    half = longest // 2
    mixed = MULTIBYTE[0][1] * half + MULTIBYTE[1][1] * (longest - half)
    out.append(Property(MAX_LENGTH, f"prompt of {longest} 2- and 4-byte characters", prompt=mixed,
                        parts=tuple(singles)))
    # Every enum value; the default first, so that the packs with images keep their sizes.
    for name, key in ENUMS:
        for value in getattr(rules, key):
            if value not in skip_values.get(name, set()):
                out.append(Property(f"create.{name}.every-value-accepted", f"{name}={value}", {name: value}))
    return out


# edits and extensions (contracts/scenarios/derived.py): an edit by id as multipart video[id] and as
# JSON, and of an uploaded file; an extension by id as video[id] (JSON only when that is refused) and of
# an uploaded file; and a source that has not completed yet when no kept job still is (on a GPU server a
# spare waits queued: no job of its own); every one but the followed edit deleted at once
DERIVED_JOBS = 6
# generated valid creates sent under the default job budget: each carries a prompt-free pack or the
# unknown model name (create_valid.carry), so that on a conforming target it costs no job of its own
# (the multipart baseline carries the plan's first prompt-free pack; one is left: the unknown model)
GENERATED_MARGIN = 1
# jobs for a deviating target: splitting the packs it refuses, the invalid creates it wrongly accepts
DEVIATION_MARGIN = 8


def default_max_creates(rules: Rules) -> int:
    """The default of --max-creates: what the plan needs for full coverage, plus the generated
    creates and a margin for a deviating target (25 against the documented contract; a conforming
    one-GPU target uses 12 of them: the default model needs no create, the generated creates carry
    2 planned ones, and a spare is the unfinished source of the edits)."""
    return jobs_needed(rules) + GENERATED_MARGIN + DEVIATION_MARGIN


def jobs_needed(rules: Rules) -> int:
    """Accepted creates a full run needs against a conforming target of these rules: two baseline
    creates (one per encoding; the first is the job followed to the end), the packed plan, one
    tolerated create (an unknown model and an unknown parameter, packed), the remix, one more
    video should all of the run's share one created_at second (list order), and the edits and
    extensions."""
    return 2 + len(pack(properties(rules))) + 1 + 1 + 1 + DERIVED_JOBS
