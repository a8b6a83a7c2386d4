"""GET /api/v1/subjects/{identifier}/rating/: the grade with every point explained."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from rating import services
from registry import selectors as registry_selectors
from registry.api import IDENTIFIER_IN_PATH
from registry.models import Subject


def rating_document(rating) -> dict:
    return {
        "grade": rating.grade,
        "total": rating.total,
        "base_points": rating.rule_set.base_points,
        "rule_set_version": rating.rule_set.version,
        "rule_set_is_example": rating.rule_set.is_example,
        "computed_at": rating.computed_at,
        "points": rating.points,
    }


class SubjectRating(APIView):
    @extend_schema(
        parameters=[IDENTIFIER_IN_PATH],
        responses={200: OpenApiTypes.OBJECT},
        summary="An enterprise's public credit rating, every point explained by its record",
    )
    def get(self, request, identifier):
        code = registry_selectors.normalised_identifier(identifier)
        if code is None:
            raise NotFound(gettext("No subject with this identifier."))
        subject = get_object_or_404(Subject, identifier=code)
        if not services.is_rated(subject):
            raise NotFound(gettext("The public credit rating is for enterprises only."))
        rating = services.rating_current(subject)
        if rating is None:
            raise NotFound(gettext("No rating rule set is published."))
        return Response({"subject": subject.identifier, **rating_document(rating)})
