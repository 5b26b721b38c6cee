"""Before any step: is there a Videos API at the base URL, reachable, with the key it needs?

Each "no" is a ``SetupError`` with one line and the fix (exit code 2), said once, instead of every
clause failing for the same reason. A server that accepts the connection but hangs is not a setup
error: the run goes on and reports it as a violation.
"""

from __future__ import annotations

from urllib.parse import urlparse

from contracts.client import Client
from contracts.failures import SetupError
from contracts.rules import CREATE, DELETE, LIST

API_ROOT = "/v1"  # the path of the API root on every server known to serve the API


def preflight(client: Client) -> None:
    response = client.request(*LIST, query={"limit": 1})
    if response.connect_failed:
        raise SetupError(f"cannot reach the target at {client.base_url}: {response.transport_error}")
    if response.status == 401:
        if client.options.api_key:
            raise SetupError(f"the target at {client.base_url} refused the API key (401); check --api-key "
                             "or OPENAI_API_KEY")
        raise SetupError(f"the target at {client.base_url} requires an API key (401): pass --api-key or set "
                         "OPENAI_API_KEY")
    if response.status == 404:
        not_the_api_root(client)


def not_the_api_root(client: Client) -> None:
    """The list answered 404. If the create route answers 404 too, every route of the API does: the
    base URL is not the API root (most often, /v1 left out), and the run would grade a server it
    never reached. A target that lacks only the list route is graded as usual (its clause says so)."""
    # Malformed JSON: a server with the route refuses it (400) without creating a job.
    create = client.request(*CREATE, headers={"Content-Type": "application/json"}, content=b"{")
    if create.status != 404:
        _delete_if_created(client, create)
        return
    root = client.base_url
    if urlparse(root).path.rstrip("/").endswith(API_ROOT):
        fix = (f"check --base-url: it is the API root, so that {root}/videos is the create route "
               "(e.g. http://127.0.0.1:8000/v1)")
    else:
        fix = f"did you mean {root}{API_ROOT}?"
        there = client.request(LIST[0], API_ROOT + LIST[1], query={"limit": 1})
        if there.status and there.status != 404:
            fix += f" (it answers there: GET {API_ROOT}{LIST[1]} -> {there.status})"
    raise SetupError(f"every route of the Videos API answers 404 at {root} (GET {LIST[1]}, POST {CREATE[1]}): "
                     f"the base URL is not the API root; {fix}")


def _delete_if_created(client: Client, response) -> None:
    """A server that accepts even malformed JSON made a job of it: do not leave it behind."""
    if 200 <= response.status < 300:
        video = response.json_object() or {}
        if isinstance(video.get("id"), str):
            client.request(DELETE[0], DELETE[1].replace("{video_id}", video["id"]))
