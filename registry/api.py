"""Registry API: search, read and (for registration authorities) register subjects."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from registry import identifiers, selectors, services
from registry.models import Division, RoleKind, Subject, SubjectKind
from scs.api import KeysetPagination, idempotent


class IdentifierField(serializers.CharField):
    """Normalises and validates a USCC or resident ID, with a message that says what is wrong."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            code, _scheme = identifiers.validate_identifier(value)
        except identifiers.IdentifierError as exc:
            raise serializers.ValidationError(exc.message) from exc
        return code


class RevealMixin:
    def reveal(self) -> bool:
        request = self.context.get("request")
        return selectors.may_view_personal_ids(getattr(request, "user", None))

    def identifier_of(self, subject: Subject) -> str:
        return selectors.display_identifier(subject, reveal=self.reveal())


class FormerNameSerializer(serializers.Serializer):
    name = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField()


class RoleOutputSerializer(RevealMixin, serializers.Serializer):
    role = serializers.CharField()
    holder_identifier = serializers.SerializerMethodField()
    holder_name = serializers.CharField(source="holder.name")
    started_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)

    @extend_schema_field(serializers.CharField())
    def get_holder_identifier(self, role) -> str:
        return self.identifier_of(role.holder)


class SubjectListSerializer(RevealMixin, serializers.ModelSerializer):
    identifier = serializers.SerializerMethodField()
    division_name = serializers.CharField(source="division.name_zh", default=None)

    class Meta:
        model = Subject
        fields = ["identifier", "kind", "name", "division", "division_name", "status"]

    @extend_schema_field(serializers.CharField())
    def get_identifier(self, subject) -> str:
        return self.identifier_of(subject)


class SubjectDetailSerializer(SubjectListSerializer):
    former_names = FormerNameSerializer(many=True, read_only=True)
    roles = RoleOutputSerializer(many=True, read_only=True)
    registration_authority = serializers.CharField(
        source="registration_authority.subject.name", default=None
    )

    class Meta(SubjectListSerializer.Meta):
        fields = [
            *SubjectListSerializer.Meta.fields,
            "established_on",
            "registration_authority",
            "former_names",
            "roles",
        ]


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=RoleKind.choices)
    holder_identifier = IdentifierField()
    holder_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    started_on = serializers.DateField(required=False, allow_null=True)
    ended_on = serializers.DateField(required=False, allow_null=True)


class SubjectCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SubjectKind.choices)
    identifier = IdentifierField(max_length=40)
    name = serializers.CharField(max_length=200)
    division = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), required=False, allow_null=True
    )
    established_on = serializers.DateField(required=False, allow_null=True)
    former_names = FormerNameSerializer(many=True, required=False)
    roles = RoleInputSerializer(many=True, required=False)

    def validate_identifier(self, value):
        if Subject.objects.filter(identifier=value).exists():
            raise serializers.ValidationError("A subject with this identifier is registered.")
        return value


class SubjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name (partial) or identifier")
    kind = django_filters.ChoiceFilter(choices=SubjectKind.choices)
    division = django_filters.CharFilter(method="in_division", label="Division code (any level)")

    class Meta:
        model = Subject
        fields = ["q", "kind", "division", "status"]

    def search(self, qs, name, value):
        return selectors.subject_search(value, qs)

    def in_division(self, qs, name, value):
        # A province or prefecture code matches every division beneath it.
        code = value.strip()
        if len(code) == 6 and code.endswith("0000"):
            return qs.filter(division__code__startswith=code[:2])
        if len(code) == 6 and code.endswith("00"):
            return qs.filter(division__code__startswith=code[:4])
        return qs.filter(division__code=code)


class SubjectListCreate(generics.ListAPIView):
    """`GET` searches subjects; `POST` registers one (registration authorities only)."""

    serializer_class = SubjectListSerializer
    filterset_class = SubjectFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return Subject.objects.select_related("division")

    @extend_schema(request=SubjectCreateSerializer, responses={201: SubjectDetailSerializer})
    @idempotent
    def post(self, request):
        services.ensure_may_register(request.user)
        data = SubjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        subject = services.subject_register(
            actor=request.user,
            kind=values["kind"],
            identifier=values["identifier"],
            name=values["name"],
            division=values.get("division"),
            established_on=values.get("established_on"),
            former_names=[services.FormerNameInput(**f) for f in values.get("former_names", [])],
            roles=[services.RoleInput(**r) for r in values.get("roles", [])],
        )
        subject = selectors.subject_detail_queryset().get(pk=subject.pk)
        body = SubjectDetailSerializer(subject, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class SubjectDetail(generics.RetrieveAPIView):
    serializer_class = SubjectDetailSerializer

    def get_object(self):
        code = selectors.normalised_identifier(self.kwargs["identifier"])
        return get_object_or_404(selectors.subject_detail_queryset(), identifier=code or "")


class SubjectLookupInput(serializers.Serializer):
    identifier = serializers.CharField(max_length=64)


class SubjectLookup(SubjectDetail):
    """`POST /api/v1/subject-lookup/ {"identifier": ...}`: the same answer as the detail, with
    the identifier in the body rather than the URL (access logs, proxies; issue 9 §3)."""

    http_method_names = ["post", "options"]

    @extend_schema(request=SubjectLookupInput, responses={200: SubjectDetailSerializer})
    def post(self, request, *args, **kwargs):
        data = SubjectLookupInput(data=request.data)
        data.is_valid(raise_exception=True)
        self.kwargs["identifier"] = data.validated_data["identifier"]
        return self.retrieve(request, *args, **kwargs)
