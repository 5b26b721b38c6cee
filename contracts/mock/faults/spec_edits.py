"""``spec`` and ``rules`` hooks: edits of the spec document (a copy) and of the Rules built from it,
made once when the server starts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from contracts.rules import create_schema_names

if TYPE_CHECKING:
    from contracts.rules import Rules


def _create_properties(document: dict) -> Iterable[dict]:
    for name in create_schema_names(document):
        yield document["components"]["schemas"][name]["properties"]


def set_enum(component: str, values: list[str]) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        document["components"]["schemas"][component]["enum"] = list(values)

    return edit


def drop_enum_value(component: str, value: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        schema = document["components"]["schemas"][component]
        schema["enum"] = [v for v in schema["enum"] if v != value]

    return edit


def set_component(component: str, schema: dict) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        document["components"]["schemas"][component] = dict(schema)

    return edit


def set_prompt_limit(keyword: str, value: int) -> Callable[[dict], None]:
    return lambda document: document["components"]["schemas"]["Prompt"].__setitem__(keyword, value)


def set_default(name: str, value: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for properties in _create_properties(document):
            properties[name]["default"] = value

    return edit


def require(name: str) -> Callable[[dict], None]:
    return _required(lambda required: required if name in required else [*required, name])


def unrequire(name: str) -> Callable[[dict], None]:
    return _required(lambda required: [r for r in required if r != name])


def _required(change: Callable[[list[str]], list[str]]) -> Callable[[dict], None]:
    """An edit of the required list of every create schema."""

    def edit(document: dict) -> None:
        for schema in create_schema_names(document):
            target = document["components"]["schemas"][schema]
            target["required"] = change(target["required"])

    return edit


def model_closed(document: dict) -> None:
    """The model field takes only the documented names (no 'any string' branch)."""
    for properties in _create_properties(document):
        properties["model"] = {"$ref": "#/components/schemas/VideoModel", "default": properties["model"]["default"]}


def fields_unchecked(*names: str) -> Callable[[dict], None]:
    """The fields take any JSON value (no type, no enum): a gateway that forwards them."""

    def edit(document: dict) -> None:
        for properties in _create_properties(document):
            for name in names:
                properties[name] = {"default": properties[name].get("default")}

    return edit


def json_reference_unchecked(document: dict) -> None:
    """The JSON create's input_reference takes any value (a gateway forwards it as it came)."""
    document["components"]["schemas"]["CreateVideoRequest"]["properties"]["input_reference"] = {}


def all_of(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for one in edits:
            one(document)

    return edit


def tolerate_unknown_parameters(rules: Rules) -> Rules:
    return rules.replace(reject_unknown_parameters=False)


def unrequire_in(components: tuple[str, ...], name: str) -> Callable[[dict], None]:
    """``name`` no longer required in the request schemas ``components`` (edits, characters...)."""

    def edit(document: dict) -> None:
        for component in components:
            target = document["components"]["schemas"][component]
            target["required"] = [r for r in target.get("required", []) if r != name]

    return edit
