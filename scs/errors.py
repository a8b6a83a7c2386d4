"""Exceptions shared by the services of every app and read by the API's one error handler."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """A well-formed request that the present state of the data refuses (an entry not in the
    state a step needs, a name already taken): the API answers 409 in the one error shape
    (scs.api.exception_handler); everything that catches ValidationError still catches it."""
