"""gunicorn's logger with resident IDs masked in the access and error logs (issue 9 §3)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from registry.privacy import mask_resident_ids_in_text
from scs.logging import install_on


class MaskingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        install_on(self.error_log)
        install_on(self.access_log)

    def atoms(self, resp, req, environ, request_time):
        # Mask each atom too, so that a custom access_log_format cannot bring IDs back.
        return {
            key: mask_resident_ids_in_text(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
