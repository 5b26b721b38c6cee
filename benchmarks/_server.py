"""Serve one app under chosen uvicorn settings, for the benchmarks (not part of the package).

    python benchmarks/_server.py --app mock --port 8123 --loop uvloop --http httptools

Apps:
- ``mock``: the reference server, ``contracts.mock.create_app`` exactly as ``videos-contract mock``
  builds it (same uvicorn settings by default: log level warning, no access log, lifespan off).
- ``bare-asgi``: a raw ASGI callable that drains the body and answers a fixed Video (no routing,
  no validation, no framework): the ceiling for a Python server under uvicorn here.
- ``bare-starlette``: the same fixed Video from two Starlette routes (framework cost, no checks).

``--count`` wraps the app in a request counter readable at ``GET /__bench__/count`` (not
counted; one process only). Prints ``listening on http://HOST:PORT`` once uvicorn is about to
serve; the caller should still wait until the port answers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

FIXED_VIDEO = {
    "id": "video_68d7512d07848190b3e45da0ecbebcde",
    "object": "video",
    "model": "sora-2",
    "status": "queued",
    "progress": 0,
    "created_at": 1764000000,
    "completed_at": None,
    "expires_at": None,
    "prompt": "A calico cat playing a piano on stage",
    "remixed_from_video_id": None,
    "seconds": "4",
    "size": "720x1280",
    "error": None,
}
FIXED_BODY = json.dumps(FIXED_VIDEO, separators=(",", ":")).encode()
COUNT_PATH = "/__bench__/count"
_ENV = "VIDEOS_CONTRACT_BENCH_SERVER"  # the options, for worker processes (uvicorn --workers)


async def bare_asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(FIXED_BODY)).encode())]})
    await send({"type": "http.response.body", "body": FIXED_BODY})


def bare_starlette():
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def create(request: Request) -> Response:
        await request.body()
        return Response(FIXED_BODY, media_type="application/json")

    async def retrieve(request: Request) -> Response:
        return Response(FIXED_BODY, media_type="application/json")

    return Starlette(routes=[Route("/v1/videos", create, methods=["POST"]),
                             Route("/v1/videos/{video_id}", retrieve, methods=["GET"])])


class Counter:
    def __init__(self, app):
        self.app = app
        self.count = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == COUNT_PATH:
            body = json.dumps({"requests": self.count, "pid": os.getpid()}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


def build(options: dict):
    if options["app"] == "mock":
        from contracts.mock import MockConfig, create_app

        app = create_app(MockConfig(api_key=options["api_key"], job_seconds=options["job_seconds"]))
    elif options["app"] == "bare-asgi":
        app = bare_asgi
    else:
        app = bare_starlette()
    return Counter(app) if options["count"] else app


def factory():
    """For uvicorn worker processes, which re-import this module."""
    return build(json.loads(os.environ[_ENV]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", choices=["mock", "bare-asgi", "bare-starlette"], default="mock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--job-seconds", type=float, default=1.0)
    parser.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto")
    parser.add_argument("--http", choices=["auto", "h11", "httptools"], default="auto")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--access-log", action="store_true", help="uvicorn's access log on (the mock has it off)")
    parser.add_argument("--count", action="store_true", help=f"count requests, readable at GET {COUNT_PATH}")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("benchmarks serve on loopback only")

    import uvicorn

    options = {"app": args.app, "api_key": args.api_key, "job_seconds": args.job_seconds, "count": args.count}
    settings = dict(host=args.host, port=args.port, loop=args.loop, http=args.http, log_level=args.log_level,
                    access_log=args.access_log, lifespan="off", timeout_graceful_shutdown=3)
    print(f"listening on http://{args.host}:{args.port}", flush=True)
    if args.workers > 1:
        os.environ[_ENV] = json.dumps(options)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        uvicorn.run("_server:factory", factory=True, workers=args.workers, **settings)
    else:
        uvicorn.run(build(options), **settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
