"""Reads of the registry shared by the API and the portal."""

from __future__ import annotations

import re

from django.db.models import BooleanField, Count, F, Func, Prefetch, Q, QuerySet, Value

from registry import identifiers
from registry.models import Agency, CreditRecord, FormerName, Subject, SubjectRole, User


def normalised_identifier(query: str) -> str | None:
    """The query as an identifier if it is one (after normalisation), else None."""
    try:
        code, _scheme = identifiers.validate_identifier(query)
    except identifiers.IdentifierError:
        return None
    return code


def subject_detail_queryset() -> QuerySet[Subject]:
    current_roles = SubjectRole.objects.select_related("holder").order_by("role", "started_on")
    return Subject.objects.select_related(
        "division", "registration_authority__subject"
    ).prefetch_related(
        Prefetch("roles", queryset=current_roles),
        "former_names",
    )


def may_view_personal_ids(user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    agency: Agency | None = getattr(user, "agency", None)
    return bool(agency and agency.may_view_personal_ids)


def agency_and_subordinates(agency: Agency) -> list[Agency]:
    """The agency and every agency beneath it (breadth-first over `parent`, a few levels)."""
    found = [agency]
    frontier = [agency.pk]
    while frontier:
        children = list(Agency.objects.filter(parent_id__in=frontier))
        found.extend(children)
        frontier = [c.pk for c in children]
    return found


def display_identifier(subject: Subject, *, reveal: bool) -> str:
    return (
        subject.identifier if reveal or not subject.is_natural_person else subject.masked_identifier
    )


# --- name search ------------------------------------------------------------------------
#
# Measured on 1 000 000 Chinese names (../shared/ECOSYSTEM.md):
# - identifiers: exact lookup on the unique index, after normalisation;
# - 2 characters: below trigram length, so the character-bigram tsvector
#   (`registry_name_bigrams`, GIN expression indexes in registry/migrations/0003);
# - 3+ characters: ILIKE '%…%' on the pg_trgm GIN indexes (Chinese fragments score too low
#   for `%` similarity to be a substring search);
# - typos: a fallback only when the exact substring finds nothing (see typo_* below).
# A boilerplate fragment (有限公司) matches most of the table: callers cap candidates on a cheap
# key and rank only those, never the whole match set.

MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 100
_SPACES = re.compile(r"\s+")


def clean_query(query: str | None) -> str:
    """Trim and collapse whitespace (U+3000 too); keep full-width punctuation, which names use."""
    return _SPACES.sub(" ", query or "").strip()[:MAX_QUERY_CHARS]


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tsquery_lexeme(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def bigram_tsquery(*pieces: str) -> str | None:
    """'腾讯' -> "'腾讯'"; pieces of a pattern -> all their bigrams ANDed; None if no bigram."""
    grams = sorted({p.lower()[i : i + 2] for p in pieces for i in range(len(p) - 1)})
    return " & ".join(_tsquery_lexeme(g) for g in grams) or None


class BigramMatch(Func):
    """`registry_name_bigrams(<name>) @@ '<bigrams>'::tsquery`, matching the GIN expression
    indexes subject_name_bigram and formername_name_bigram."""

    output_field = BooleanField()

    def __init__(self, field: str, tsquery: str):
        super().__init__(F(field), Value(tsquery))

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        sql = f"registry_name_bigrams({column}) @@ ({query})::tsquery"
        return sql, (*column_params, *query_params)


class ILike(Func):
    """`<name> ILIKE '<pattern>'`: answered by the pg_trgm GIN index (Django's icontains
    compiles to UPPER(name) LIKE UPPER(…), which no index on name can serve)."""

    output_field = BooleanField()

    def __init__(self, field: str, pattern: str):
        super().__init__(F(field), Value(pattern))

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        pattern, pattern_params = compiler.compile(self.source_expressions[1])
        return f"{column} ILIKE {pattern}", (*column_params, *pattern_params)


def name_condition(field: str, query: str) -> Func:
    """Substring match of a cleaned query (2+ characters) on a name column, index-served."""
    if len(query) == 2:
        return BigramMatch(field, bigram_tsquery(query))
    return ILike(field, f"%{like_escape(query)}%")


def _is_latin(query: str) -> bool:
    return all(ord(c) < 0x250 for c in query)


def typo_conditions(field: str, query: str) -> list[Func]:
    """Conditions that find a name containing the query with one character changed.

    Latin: trigram word similarity (`<%`, GIN-served). Chinese: `%` similarity is useless
    (ECOSYSTEM.md), so one LIKE pattern per position with that character replaced by `_`,
    each prefiltered by the bigrams of its fixed parts; queries shorter than 4 characters
    get no fallback (too many near misses, and too few bigrams to use an index).
    """
    if len(query) < 4:
        return []
    if _is_latin(query):
        return [TrigramWordSimilar(field, query)]
    conditions: list[Func] = []
    for i in range(len(query)):
        left, right = query[:i], query[i + 1 :]
        tsquery = bigram_tsquery(left, right)
        if tsquery is None:
            continue
        pattern = f"%{like_escape(left)}_{like_escape(right)}%"
        conditions.append(BigramMatch(field, tsquery) & ILike(field, pattern))
    return conditions


class TrigramWordSimilar(Func):
    """`'<query>' <% <name>`: word similarity above pg_trgm.word_similarity_threshold."""

    output_field = BooleanField()

    def __init__(self, field: str, query: str):
        super().__init__(F(field), Value(query))

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        return f"{query} <%% {column}", (*query_params, *column_params)


# Above this many name matches, subject_search filters row by row in the caller's order
# (dense matches fill a page quickly); below it, it looks up the matching ids by index.
DENSE_MATCHES = 2000


def subject_search(query: str, qs: QuerySet[Subject] | None = None) -> QuerySet[Subject]:
    """Subjects whose identifier is the query (after normalisation), or whose current or
    former name contains it. Returns a lazy QuerySet the caller may filter, order and page.

    Rare fragments: `id IN (name matches UNION former-name matches)`, both index-served.
    Boilerplate fragments (more than DENSE_MATCHES matches, found by one capped probe):
    a row filter, so a keyset page walks the primary key and stops after a page of rows
    instead of collecting hundreds of thousands of ids first.
    """
    qs = Subject.objects.all() if qs is None else qs
    query = clean_query(query)
    if not query:
        return qs
    code = normalised_identifier(query)
    if code is not None:
        return qs.filter(identifier=code)
    if len(query) < MIN_QUERY_CHARS:
        return qs.filter(name=query)
    in_name = name_condition("name", query)
    former = FormerName.objects.filter(name_condition("name", query)).values("subject_id")
    if Subject.objects.filter(in_name).values("pk")[:DENSE_MATCHES].count() < DENSE_MATCHES:
        ids = Subject.objects.filter(in_name).values("pk").union(former)
        return qs.filter(pk__in=ids)
    return qs.filter(Q(in_name) | Q(pk__in=former))


def timeliness_by_agency() -> list[dict]:
    """Per supplying agency: records received since timeliness was tracked, how many within
    7 working days of their decision, and the share on time in percent (one GROUP BY on the
    creditrecord_supplier_ontime index). Withdrawn records count: lateness is about arrival."""
    rows = (
        CreditRecord.objects.filter(on_time__isnull=False, supplier__isnull=False)
        .values("supplier_id", "supplier__short_name", "supplier__name_en")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)))
        .order_by("supplier__short_name")
    )
    return [
        {
            "agency": row["supplier__short_name"],
            "agency_en": row["supplier__name_en"],
            "total": row["total"],
            "on_time": row["on_time"],
            "share": round(100 * row["on_time"] / row["total"], 1),
        }
        for row in rows
    ]
