"""Where a token may be sent: the one rule every setting that points a connector (or the mailer) at a
server goes through.

Plain `http://` is for the sandbox on this machine only. A leftover `export META_GRAPH_URL=http://…`
from a sandbox session, pointed anywhere else, would send a real token in clear text; so
`http://` to a host that is not loopback (127.0.0.0/8, ::1, localhost) is refused, naming the setting.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from connectors.errors import PlatformConfigError


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (bracketed or not): a server on this machine."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credentialed_url(env: Mapping[str, str], name: str, default: str, platform: str) -> str:
    """The URL setting `name` (else `default`), without a trailing slash. PlatformConfigError when it
    is plain http:// to a host off this machine."""
    url = (env.get(name) or "").strip().rstrip("/") or default
    parts = urlsplit(url)
    if parts.scheme.lower() == "http" and not is_loopback_host(parts.hostname or ""):
        raise PlatformConfigError(
            platform,
            f"{name}={url!r} would send the access token unencrypted to {parts.hostname or 'an unnamed host'}: "
            f"use https:// (plain http:// is for the sandbox on this machine only), or unset {name} to reach the platform itself.",
        )
    return url
