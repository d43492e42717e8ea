"""Which URLs a webhook may be sent to: http(s) only, and never to loopback, private, link-local or
otherwise non-public addresses (a retailer must not make the server call into its own network)
unless the operator allows them (`webhook_allow_private_urls`)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from openoffers.kit.errors import ValidationFailed

MAX_LENGTH = 2000


def _not_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_form(url: str) -> tuple[str, int]:
    """The URL's host and port, or VALIDATION with the reason. Literal addresses are checked here;
    names are checked when they are resolved (`refusal`)."""
    if len(url) > MAX_LENGTH:
        raise ValidationFailed.field("url", f"must be at most {MAX_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed.field("url", "is not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed.field("url", "must be an http or https URL")
    if not parts.hostname:
        raise ValidationFailed.field("url", "has no host")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.field("url", "must not carry credentials")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool) -> None:
    """At creation and update: the form, and a literal address or `localhost` that is not public."""
    host, _ = check_form(url)
    if allow_private:
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise ValidationFailed.field("url", "must not point at a loopback or private address")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return  # a name: checked again each time it is resolved
    if _not_public(host.strip("[]")):
        raise ValidationFailed.field("url", "must not point at a loopback or private address")


async def refusal(url: str, *, allow_private: bool) -> str | None:
    """Before each delivery: why this URL may not be called now (its name resolves to a non-public
    address, or does not resolve), or None. The connection resolves the name again; a name that
    changes its answer between the two is the residual risk (docs/DECISIONS.md)."""
    try:
        host, port = check_form(url)
    except ValidationFailed:
        return "not an http(s) URL"
    if allow_private:
        return None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        return f"the host does not resolve: {error}"
    for info in infos:
        if _not_public(str(info[4][0])):
            return f"the host resolves to a non-public address ({info[4][0]})"
    return None
