"""Where the kit's servers (the mock, the proxy) listen: a socket bound before uvicorn starts, so that
a port in use or a host that does not resolve is one line (``CannotListen``), not uvicorn's log; the
host as a URL writes it; the HTTP protocol they are served with."""

from __future__ import annotations

import ipaddress
import socket


class CannotListen(Exception):
    """The host does not resolve or the port cannot be listened on: one line."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: any free port), inheritable by worker processes."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise CannotListen(f"cannot resolve --host {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def url_host(host: str) -> str:
    """``host`` as a URL names it (an IPv6 address in brackets)."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def http_protocol() -> type | str:
    """uvicorn's httptools protocol sending each response in one write (``contracts.mock.protocol``);
    uvicorn's own choice where httptools cannot be imported."""
    try:
        from contracts.mock.protocol import OneWriteProtocol
    except ImportError:
        return "auto"
    return OneWriteProtocol
