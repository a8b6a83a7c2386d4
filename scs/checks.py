"""Project system checks for `manage.py check --deploy` (issue 9 §4): the settings fail closed
at import; these say what is still unsafe in a configuration that starts."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

_LOCAL_HOSTS = {"localhost", "testserver", ""}


def _is_local(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register(Tags.security, deploy=True)
def check_production_configuration(app_configs=None, **kwargs):
    problems = []
    if settings.SECRET_KEY in getattr(settings, "COMMITTED_SECRET_KEYS", ()):
        problems.append(
            Error(
                "SECRET_KEY is a key committed to the repository.",
                hint="Generate a new key and set it in the environment.",
                id="scs.E001",
            )
        )
    url = urlsplit(getattr(settings, "PORTAL_BASE_URL", ""))
    if url.scheme != "https" or _is_local(url.hostname or ""):
        problems.append(
            Warning(
                f"PORTAL_BASE_URL ({settings.PORTAL_BASE_URL!r}) is not a public https address; "
                "every PDF report prints it as its verification address.",
                hint="Set PORTAL_BASE_URL to the portal's public https address.",
                id="scs.W002",
            )
        )
    hosts = list(settings.ALLOWED_HOSTS)
    if "*" in hosts or not hosts or all(_is_local(h) for h in hosts):
        problems.append(
            Warning(
                f"ALLOWED_HOSTS ({hosts!r}) is a wildcard or local hosts only.",
                hint="List the public host names this site answers to.",
                id="scs.W003",
            )
        )
    return problems


@register()
def check_logging_masks_resident_ids(app_configs=None, **kwargs):
    from scs.logging import unmasked_handlers

    return [
        Error(
            f"Log handler without the resident-ID masking filter: {name}: {handler!r}",
            hint="Add scs.logging.MaskResidentIds to every handler in LOGGING.",
            id="scs.E004",
        )
        for name, handler in unmasked_handlers()
    ]
