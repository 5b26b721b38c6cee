"""``video`` hooks: the shape and values of every Video the server renders."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.mock.faults.base import View
from contracts.rules import STATUS


def set_fields(**values: Any) -> Callable[[dict, View], dict]:
    return lambda video, view: {**video, **values}


def map_field(name: str, convert: Callable[[Any], Any], when: Callable[[dict], bool] = lambda v: True):
    def hook(video: dict, view: View) -> dict:
        if name in video and when(video):
            return {**video, name: convert(video[name])}
        return video

    return hook


def seconds_integer(video: dict, view: View) -> dict:
    seconds = video.get("seconds")
    return {**video, "seconds": int(seconds)} if isinstance(seconds, str) and seconds.isdigit() else video


def without(*names: str) -> Callable[[dict, View], dict]:
    return lambda video, view: {k: v for k, v in video.items() if k not in names}


def nulls_omitted(video: dict, view: View) -> dict:
    return {k: v for k, v in video.items() if v is not None}


def status_renamed(old: str, new: str) -> Callable[[dict, View], dict]:
    return map_field("status", lambda s: new if s == old else s)


def timestamps(convert: Callable[[int], Any]) -> Callable[[dict, View], dict]:
    def hook(video: dict, view: View) -> dict:
        out = dict(video)
        for name in ("created_at", "completed_at", "expires_at"):
            if isinstance(out.get(name), int):
                out[name] = convert(out[name])
        return out

    return hook


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def error_on_success(video: dict, view: View) -> dict:
    return video if video.get("status") == STATUS.failed else {**video, "error": {"code": "", "message": ""}}


def extra_fields(video: dict, view: View) -> dict:
    return {**video, "file_path": f"/srv/outputs/{video.get('id')}.mp4", "quality": "standard",
            "usage": {"duration_seconds": 4, "output_tokens": 0}, "metadata": {}}


def model_served(video: dict, view: View) -> dict:
    return {**video, "model": view.ctx.rules.defaults["model"]}


def actual_duration(video: dict, view: View) -> dict:
    if video.get("status") == STATUS.completed and isinstance(video.get("seconds"), str) and video["seconds"].isdigit():
        return {**video, "seconds": f"{int(video['seconds']) + 0.04:.2f}"}
    return video


def nfc(video: dict, view: View) -> dict:
    prompt = video.get("prompt")
    return {**video, "prompt": unicodedata.normalize("NFC", prompt)} if isinstance(prompt, str) else video


def extension_seconds_number(video: dict, view: View) -> dict:
    """An extension's stitched total goes out as the number it was added up as, not a string."""
    if (view.job.source or {}).get("kind") == "extension" and str(video.get("seconds", "")).isdigit():
        return {**video, "seconds": int(video["seconds"])}
    return video


def extension_segment(video: dict, view: View) -> dict:
    """An extension reports the length of its new segment, not the stitched total."""
    source = view.job.source or {}
    if source.get("kind") == "extension" and source.get("seconds"):
        return {**video, "seconds": source["seconds"]}
    return video
