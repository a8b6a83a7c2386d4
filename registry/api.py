"""Registry API: search, read and (for registration authorities) register subjects."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from registry import identifiers, names, selectors, services
from registry.models import Division, FormerIdentifier, RoleKind, Subject, SubjectKind
from scs.api import KeysetPagination, StrictBooleanFilter, StrictCharField, idempotent

UPGRADED_FROM_15 = "15-digit first-generation resident ID"  # identifier_upgraded_from's value


def upgraded_from_15_digits(raw) -> bool:
    """True if ``raw``, accepted by IdentifierField / parse_identifier, was a 15-digit
    first-generation resident ID (upgraded to 18 digits): responses then carry
    ``"identifier_upgraded_from": UPGRADED_FROM_15``."""
    return len(identifiers.normalise(str(raw or ""))) == 15


@extend_schema_field({"type": "string", "pattern": identifiers.IDENTIFIER_PATTERN})
class IdentifierField(StrictCharField):
    """Normalises and validates a USCC or resident ID, with a message that says what is wrong
    (in the request's language); a 15-digit resident ID comes back upgraded to 18 digits."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            code, _scheme = identifiers.validate_identifier(value)
        except identifiers.IdentifierError as exc:
            raise serializers.ValidationError(exc.message) from exc
        return code


@extend_schema_field({"type": "string", "pattern": identifiers.IDENTIFIER_PATTERN})
class IdentifierReference(StrictCharField):
    """An identifier naming a registered subject, looked up by the view: the schema gives its
    shape (IDENTIFIER_PATTERN); one of that shape naming nothing answers 404
    (scs.api.raise_invalid)."""


@extend_schema_field({"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"})
class AgencyReference(StrictCharField):
    """An agency's USCC (or empty), looked up by the view; 404 when it names no agency."""


class RevealMixin:
    def reveal(self) -> bool:
        request = self.context.get("request")
        return selectors.may_view_personal_ids(getattr(request, "user", None))

    def identifier_of(self, subject: Subject) -> str:
        return selectors.display_identifier(subject, reveal=self.reveal())


class FormerNameSerializer(serializers.Serializer):
    name = StrictCharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField()


class RegistrationChangeSerializer(serializers.Serializer):
    item = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    changed_on = serializers.DateField()


class BusinessTermSerializer(serializers.Serializer):
    """`until` null: no fixed term (长期)."""

    start = serializers.DateField(source="business_term_from", allow_null=True)
    until = serializers.DateField(source="business_term_until", allow_null=True)


class RoleOutputSerializer(RevealMixin, serializers.Serializer):
    role = StrictCharField()
    holder_identifier = serializers.SerializerMethodField()
    holder_name = StrictCharField(source="holder.name")
    started_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)

    @extend_schema_field(StrictCharField())
    def get_holder_identifier(self, role) -> str:
        return self.identifier_of(role.holder)


class SubjectListSerializer(RevealMixin, serializers.ModelSerializer):
    identifier = serializers.SerializerMethodField()
    division_name = StrictCharField(source="division.name_zh", default=None, allow_null=True)
    match = serializers.SerializerMethodField(
        help_text="How a search matched: identifier, name, former_name, pinyin, typo, "
        "organisation_code, business_registration, masked_identifier (null outside a search)."
    )
    matched_former_name = serializers.SerializerMethodField()

    class Meta:
        model = Subject
        fields = [
            "identifier",
            "kind",
            "name",
            "division",
            "division_name",
            "status",
            "nonconforming_check",
            "match",
            "matched_former_name",
        ]

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_match(self, subject) -> str | None:
        return getattr(subject, "match", None)

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_matched_former_name(self, subject) -> str | None:
        return getattr(subject, "matched_former_name", None)

    @extend_schema_field(StrictCharField())
    def get_identifier(self, subject) -> str:
        return self.identifier_of(subject)


class FormerIdentifierSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=FormerIdentifier.Scheme.choices)
    value = StrictCharField(max_length=20)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)


class SubjectDetailSerializer(SubjectListSerializer):
    former_names = FormerNameSerializer(many=True, read_only=True)
    former_identifiers = FormerIdentifierSerializer(many=True, read_only=True)
    roles = RoleOutputSerializer(many=True, read_only=True)
    registration_authority = StrictCharField(
        source="registration_authority.subject.name", default=None, allow_null=True
    )
    registered_capital = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        allow_null=True,
        coerce_to_string=True,
        help_text="In units of 10 000 yuan (万元人民币).",
    )
    business_term = BusinessTermSerializer(source="*", read_only=True)
    changes = RegistrationChangeSerializer(many=True, read_only=True)

    class Meta(SubjectListSerializer.Meta):
        fields = [
            *SubjectListSerializer.Meta.fields,
            "established_on",
            "registration_authority",
            "nonconforming_note",
            "legal_representative_name",
            "registered_capital",
            "company_type",
            "business_term",
            "address",
            "business_scope",
            "changes",
            "former_names",
            "former_identifiers",
            "roles",
        ]


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=RoleKind.choices)
    holder_identifier = IdentifierField()
    holder_name = StrictCharField(required=False, allow_blank=True, max_length=200)
    started_on = serializers.DateField(required=False, allow_null=True)
    ended_on = serializers.DateField(required=False, allow_null=True)

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        # Remember a 15-digit holder ID, so the response can say it was upgraded.
        attrs["upgraded"] = upgraded_from_15_digits(data.get("holder_identifier"))
        return attrs


class SubjectCreateSerializer(serializers.Serializer):
    """The kind decides how the identifier is read (registry.identifiers.parse_identifier):
    a resident ID (15 digits upgraded) for a natural person, a USCC agreeing with the kind
    (positions 1-2, GB 32100 table A.1) for anyone else. ``nonconforming_check`` with a
    ``note`` registers a code of record whose check characters fail GB 32100."""

    kind = serializers.ChoiceField(choices=SubjectKind.choices)
    identifier = StrictCharField(max_length=40)
    name = StrictCharField(max_length=200)
    nonconforming_check = serializers.BooleanField(required=False, default=False)
    note = StrictCharField(required=False, allow_blank=True, max_length=500, default="")
    former_identifiers = FormerIdentifierSerializer(many=True, required=False)
    division = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), required=False, allow_null=True
    )
    established_on = serializers.DateField(required=False, allow_null=True)
    former_names = FormerNameSerializer(many=True, required=False)
    roles = RoleInputSerializer(many=True, required=False)
    legal_representative_name = serializers.CharField(
        required=False, allow_blank=True, max_length=100
    )
    registered_capital = serializers.DecimalField(
        max_digits=16, decimal_places=4, required=False, allow_null=True, min_value=0
    )
    company_type = serializers.CharField(required=False, allow_blank=True, max_length=100)
    business_term_from = serializers.DateField(required=False, allow_null=True)
    business_term_until = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    business_scope = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs):
        nonconforming = attrs.get("nonconforming_check", False)
        if nonconforming and not attrs.get("note", "").strip():
            message = gettext("Say why this code of record does not satisfy the GB 32100 check.")
            raise serializers.ValidationError({"note": message})
        try:
            parsed = identifiers.parse_identifier(
                attrs["identifier"], kind=attrs["kind"], nonconforming_check=nonconforming
            )
        except identifiers.IdentifierError as exc:
            message = identifiers.uscc_registration_message(exc)
            raise serializers.ValidationError({"identifier": [message]}) from exc
        if Subject.objects.filter(identifier=parsed.code).exists():
            raise serializers.ValidationError(
                {"identifier": [gettext("A subject with this identifier is registered.")]}
            )
        attrs["identifier"], attrs["upgraded_from"] = parsed.code, parsed.upgraded_from
        return attrs


class SubjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name (partial) or identifier")
    kind = django_filters.ChoiceFilter(choices=SubjectKind.choices)
    division = django_filters.CharFilter(method="in_division", label="Division code (any level)")

    class Meta:
        model = Subject
        fields = ["q", "kind", "division", "status"]

    def search(self, qs, name, value):
        return qs  # answered by selectors.subject_search in SubjectListCreate.list

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

    def list(self, request, *args, **kwargs):
        """With ``q``: the shared search (selectors.subject_search), ranked, paged by
        ``page``; ``identifier`` says how an identifier query was read (a 15-digit resident
        ID upgraded, an organisation code, a former registration number)."""
        query = request.query_params.get("q", "")
        if not query.strip():
            return super().list(request, *args, **kwargs)
        # The search pages by itself, but a malformed page_size is refused all the same.
        self.paginator.get_page_size(request)
        page = request.query_params.get("page", "1")
        page = int(page) if page.isdigit() and len(page) < 4 else 1
        base = self.filter_queryset(self.get_queryset())
        found = selectors.subject_search(query, base=base, page=page)
        rows = self.get_serializer(found.rows, many=True).data
        next_url = None
        if found.has_next:
            next_url = request.build_absolute_uri(
                f"{request.path}?{_with_page(request.query_params, found.page + 1)}"
            )
        body = {
            "next": next_url,
            "previous": None,
            "status": found.status,
            "total": found.total,
            "capped": found.capped,
            "results": rows,
        }
        match = found.identifier
        if match is not None:
            reveal = selectors.may_view_personal_ids(request.user)
            code = match.code
            if code and identifiers.is_resident_id(code) and not reveal:
                code = identifiers.mask_resident_id(code)
            body["identifier"] = {
                "read_as": code,
                "upgraded_from_15_digits": bool(match.upgraded_from),
                "older_number": match.older_scheme or None,
            }
            if match.upgraded_from:
                body["identifier"]["note"] = gettext(
                    "A 15-digit first-generation resident ID was upgraded to 18 digits "
                    "(GB 11643-1999)."
                )
        return Response(body)

    @extend_schema(request=SubjectCreateSerializer, responses={201: SubjectDetailSerializer})
    @idempotent
    def post(self, request):
        services.ensure_may_register(request.user)
        data = SubjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        roles = [dict(r) for r in values.get("roles", [])]
        upgraded_holders = {r["holder_identifier"] for r in roles if r.pop("upgraded")}
        subject = services.subject_register(
            actor=request.user,
            kind=values["kind"],
            identifier=values["identifier"],
            name=values["name"],
            division=values.get("division"),
            established_on=values.get("established_on"),
            former_names=[services.FormerNameInput(**f) for f in values.get("former_names", [])],
            former_identifiers=[
                services.FormerIdentifierInput(**f) for f in values.get("former_identifiers", [])
            ],
            roles=[services.RoleInput(**r) for r in roles],
            nonconforming_check=values["nonconforming_check"],
            nonconforming_note=values["note"],
            facts={k: values[k] for k in services.FACT_FIELDS if k in values},
        )
        subject = selectors.subject_detail_queryset().get(pk=subject.pk)
        body = SubjectDetailSerializer(subject, context=self.get_serializer_context()).data
        if values.get("upgraded_from"):
            body["identifier_upgraded_from"] = UPGRADED_FROM_15
        for role, shown in zip(subject.roles.all(), body["roles"], strict=True):
            if role.holder.identifier in upgraded_holders:
                shown["identifier_upgraded_from"] = UPGRADED_FROM_15
        return Response(body, status=status.HTTP_201_CREATED)


def _with_page(params, page: int) -> str:
    query = params.copy()
    query["page"] = str(page)
    return query.urlencode()


IDENTIFIER_IN_PATH = OpenApiParameter(
    "identifier",
    {"type": "string", "pattern": identifiers.IDENTIFIER_PATTERN},
    OpenApiParameter.PATH,
    description="A USCC or a resident ID (18 characters), or a 15-digit resident ID: 404 when "
    "it names no registered subject.",
)


@extend_schema_view(get=extend_schema(parameters=[IDENTIFIER_IN_PATH]))
class SubjectDetail(generics.RetrieveAPIView):
    serializer_class = SubjectDetailSerializer

    def get_object(self):
        code = selectors.normalised_identifier(self.kwargs["identifier"])
        return get_object_or_404(selectors.subject_detail_queryset(), identifier=code or "")

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        raw = identifiers.normalise(self.kwargs["identifier"])
        if len(raw) == 15:
            response.data["identifier_upgraded_from"] = UPGRADED_FROM_15
        return response


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["code", "name_zh", "name_en", "level", "parent", "abolished"]


class DivisionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Code (prefix) or name (partial)")
    level = django_filters.ChoiceFilter(choices=Division.Level.choices)
    parent = django_filters.CharFilter(field_name="parent_id")
    abolished = StrictBooleanFilter()

    class Meta:
        model = Division
        fields = ["q", "level", "parent", "abolished"]

    def search(self, qs, name, value):
        text = value.strip()
        if text.isdigit():
            return qs.filter(code__startswith=text[:6])
        key = text.replace(" ", "")
        return qs.filter(
            Q(name_zh__contains=key) | Q(name_zh__contains=names.search_key(key))
            | Q(name_en__icontains=text)
        )  # fmt: skip


class DivisionList(generics.ListAPIView):
    """`GET /api/v1/divisions/?q=&level=&parent=&abolished=`: GB/T 2260 divisions (current
    and abolished), by code prefix or partial Chinese or English name."""

    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter
    queryset = Division.objects.order_by("code")


class SubjectLookupInput(serializers.Serializer):
    identifier = StrictCharField(max_length=64)


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


@extend_schema_field({"type": "string", "x-decision-date": True})
class DecisionDateField(serializers.DateField):
    """A decision's date (YYYY-MM-DD); the schema's `pattern` lists the plausible ones
    (registry.validators.decision_date_pattern, filled by decision_date_window)."""


# Schema documentation (English, like the rest of the OpenAPI text), not an answer.
DECISION_DATE_DESCRIPTION = "A date (YYYY-MM-DD) from 1949-01-01 to today (Asia/Shanghai)."


def decision_date_window(result, generator, request, public):
    """drf-spectacular postprocessing hook: every DecisionDateField carries the pattern of the
    dates PlausibleDecisionDate accepts (1949-01-01 to today, Asia/Shanghai), computed when
    the schema is generated."""
    from registry.validators import decision_date_pattern

    pattern = decision_date_pattern()
    stack = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("x-decision-date") is True:
                node["pattern"] = pattern
                node.setdefault("description", DECISION_DATE_DESCRIPTION)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return result
