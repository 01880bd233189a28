"""The hosts an API key may be sent to.

A recipe names the environment variable holding a key (`api_key_env`) and the endpoint URLs,
and a recipe may come from someone else: without a check, it could read any variable of the
user's environment and send it to any server. So a key is sent only to a host the *user*
allowed, outside the recipe: the environment variable SYNTHLOOM_ALLOWED_KEY_HOSTS, a
comma-separated list of `host` (any port) or `host:port`; the loopback hosts 127.0.0.1,
localhost and ::1 are always allowed. A key goes to any other host only over https, and only
in the Authorization header. Which variable a recipe reads is not restricted: the host is
the boundary, since a value that reaches only an allowed host has not leaked."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from synthloom.config.endpoints import redact_url

ALLOWED_KEY_HOSTS_ENV = "SYNTHLOOM_ALLOWED_KEY_HOSTS"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _canonical(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))  # ::ffff:127.0.0.1 and ::ffff:7f00:1 are one host
    except ValueError:
        return host


def _allowed(environ: Mapping[str, str]) -> set[tuple[str, int | None]]:
    out: set[tuple[str, int | None]] = set()
    for entry in environ.get(ALLOWED_KEY_HOSTS_ENV, "").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        host, port = entry, None
        if entry.startswith("["):  # [::1]:8000
            host, _, rest = entry[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        elif entry.count(":") == 1:
            name, _, p = entry.partition(":")
            if p.isdigit():
                host, port = name, int(p)
        out.add((_canonical(host), port))
    return out


def key_refusal(alias: str, variable: str, url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """None if the key in $variable may be sent to `url`, else the one sentence saying why not."""
    environ = os.environ if environ is None else environ
    parts = urlsplit(url)
    host = _canonical(parts.hostname or "")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    shown = redact_url(url)
    if host in LOOPBACK:
        return None
    allowed = _allowed(environ)
    if (host, None) not in allowed and (host, port) not in allowed:
        entry = host if ":" not in host else f"[{host}]"
        return (
            f"model '{alias}' would send the key in ${variable} to {shown}, a host you have not allowed; "
            f"if you trust it, run with {ALLOWED_KEY_HOSTS_ENV}={entry} (comma-separated host or host:port)"
        )
    if parts.scheme != "https":
        return (
            f"model '{alias}' would send the key in ${variable} to {shown} without encryption; "
            "use an https:// URL for a host that is not this machine"
        )
    return None
