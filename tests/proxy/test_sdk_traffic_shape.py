"""The SDK traffic the proxy's tests send (tests/proxy/sdk_traffic.py) calls every method of the openai
SDK's videos resource, so that a new method the SDK adds shows up here."""

from __future__ import annotations

import inspect

import openai

from tests.proxy import sdk_traffic


def _methods(table) -> set[str]:
    return {method for _, method, _ in table}


def test_the_traffic_calls_every_method_of_the_videos_resource():
    called = _methods(sdk_traffic.calls("video_1", lambda: "video_2")) | _methods(sdk_traffic.EDGES) \
        | _methods(sdk_traffic.ERRORS) | _methods(sdk_traffic.PENDING)
    called = {"delete" if m == "delete_then_retrieve" else m for m in called}
    for resource in (openai.resources.videos.Videos, openai.resources.videos.AsyncVideos):
        public = {name for name, _ in inspect.getmembers(resource, inspect.isfunction) if not name.startswith("_")}
        assert public == called, sorted(public ^ called)
