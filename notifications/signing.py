"""How webhook requests are signed and checked (docs/NOTIFICATIONS.md)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-Signature-SHA256"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
ID_HEADER = "X-Webhook-Id"


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body with the endpoint's secret."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature or "")


def _forbidden(ip: ipaddress._BaseAddress) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_target(url: str, *, resolve: bool = True) -> None:
    """Refuse what is not http(s), and, unless WEBHOOK_ALLOW_PRIVATE_TARGETS, any host that
    is or resolves to a private, loopback, link-local or reserved address (SSRF: a webhook
    must not make the platform call its own network). Checked at registration and again
    before every delivery (DNS may change)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": [_("Only http and https URLs with a host are accepted.")]})
    if parts.username or parts.password:
        raise ValidationError({"url": [_("Credentials in the URL are not accepted.")]})
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise ValidationError({"url": [_("The host name does not resolve.")]}) from exc
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if any(_forbidden(a) for a in addresses):
        raise ValidationError(
            {"url": [_("Webhooks may not target private, loopback or reserved addresses.")]}
        )
