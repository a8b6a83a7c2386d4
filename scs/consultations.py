"""The access-log hook every app calls when it shows a subject's non-public data.

The access log lives in the `sharing` app, above the registry and the lists; lower apps (the
registry admin, say) must not import it. They call `record_consultation()` here, and the
sharing app installs the one writer at start-up (`SharingConfig.ready`). Without a writer
installed the call fails loudly: a consultation that cannot be logged must not happen silently.
"""

from __future__ import annotations

from collections.abc import Callable

_writer: Callable[..., object] | None = None


def install_writer(writer: Callable[..., object]) -> None:
    global _writer
    _writer = writer


def record_consultation(**fields) -> object:
    """Write one access-log row; see `sharing.services.consultation_log` for the fields."""
    if _writer is None:
        raise RuntimeError("No access-log writer installed: is the sharing app installed?")
    return _writer(**fields)
