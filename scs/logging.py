"""A logging filter that masks resident IDs in every log line (issue 9 §3).

An ID in a URL (portal search, `/api/v1/subjects/<id>/restrictions/`) reaches Django's
"Not Found" warning, gunicorn's access log and Celery's task logs. `MaskResidentIds` is put on
every handler: Django's (settings.LOGGING), gunicorn's (`scs/gunicorn_conf.py`) and Celery's
(a signal below); `scs.checks` reports a configured handler without it.
"""

from __future__ import annotations

import logging

from registry.privacy import mask_resident_ids_in_text


class MaskResidentIds(logging.Filter):
    """Render the record's message, mask resident-ID-shaped runs in it, and in the formatted
    traceback; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        masked = mask_resident_ids_in_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_resident_ids_in_text(record.exc_text)
        return True


def install_on(logger: logging.Logger) -> None:
    """Add the filter to every handler of a logger (idempotent)."""
    for handler in logger.handlers:
        if not any(isinstance(f, MaskResidentIds) for f in handler.filters):
            handler.addFilter(MaskResidentIds())


def unmasked_handlers() -> list[tuple[str, logging.Handler]]:
    """Handlers of the configured loggers that lack the filter (for the system check)."""
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    missing = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.NullHandler):
                continue  # writes nothing
            if not any(isinstance(f, MaskResidentIds) for f in handler.filters):
                missing.append((logger.name, handler))
    return missing
