"""The access-log hook every app calls when it shows a subject's non-public data.

The access log lives in the `sharing` app, above the registry and the lists; lower apps (the
registry admin, say) must not import it. They call `record_consultation()` here, and the
sharing app installs the one writer at start-up (`SharingConfig.ready`). Without a writer
installed the call fails loudly: a consultation that cannot be logged must not happen silently.
"""

from __future__ import annotations

from collections.abc import Callable

_writer: Callable[..., object] | None = None
_many_writer: Callable[..., int] | None = None

# The purpose recorded for staff work in the admin and its exports (a row of sharing's
# Purpose table, kept as data like the others; not offered to API callers).
ADMIN_PURPOSE = "administrative_work"


def install_writer(writer: Callable[..., object], many: Callable[..., int] | None = None) -> None:
    global _writer, _many_writer
    _writer = writer
    _many_writer = many


def record_consultation(**fields) -> object:
    """Write one access-log row; see `sharing.services.consultation_log` for the fields."""
    if _writer is None:
        raise RuntimeError("No access-log writer installed: is the sharing app installed?")
    return _writer(**fields)


def record_consultations(**fields) -> int:
    """Write one access-log row per subject of a set (an export), in one statement; see
    `sharing.services.consultation_log_per_subject` for the fields. Returns the row count."""
    if _many_writer is None:
        raise RuntimeError("No access-log writer installed: is the sharing app installed?")
    return _many_writer(**fields)
