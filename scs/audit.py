"""One way to attach who/why to every audited change.

pghistory's triggers record each row change (ORM, bulk or raw SQL); the context set here
says who made it, for which agency, and why. Services wrap their writes in `audited()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory

if TYPE_CHECKING:
    from registry.models import User


def audited(actor: User | None, reason: str = "", **extra) -> pghistory.context:
    return pghistory.context(
        user=actor.pk if actor is not None else None,
        username=actor.get_username() if actor is not None else "system",
        agency=actor.agency_id if actor is not None else None,
        reason=reason,
        **extra,
    )
