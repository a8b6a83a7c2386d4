"""Reads of the registry shared by the API and the portal."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Substr

from registry import identifiers, names, privacy
from registry.models import (
    Agency,
    CreditRecord,
    FormerIdentifier,
    FormerName,
    RegistrationChange,
    Subject,
    SubjectKind,
    SubjectRole,
)
from registry.privacy import may_view_personal_ids  # noqa: F401 - re-exported


def normalised_identifier(query: str) -> str | None:
    """The query as an identifier if it is one (after normalisation; a 15-digit resident ID
    upgraded), or a nonconforming code of record that is registered as such; else None."""
    try:
        return identifiers.parse_identifier(query).code
    except identifiers.IdentifierError:
        pass
    code = identifiers.normalise(query or "")
    if len(code) == 18 and code.isascii() and code.isalnum():
        if Subject.objects.filter(identifier=code, nonconforming_check=True).exists():
            return code
    return None


def subject_detail_queryset() -> QuerySet[Subject]:
    current_roles = SubjectRole.objects.select_related("holder").order_by("role", "started_on")
    return Subject.objects.select_related(
        "division", "registration_authority__subject"
    ).prefetch_related(
        Prefetch("roles", queryset=current_roles),
        "former_names",
        "former_identifiers",
        Prefetch("changes", queryset=RegistrationChange.objects.order_by("-changed_on", "-pk")),
    )


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
    return privacy.shown_identifier(subject.identifier, subject.kind, reveal=reveal)


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
        # A side of 3+ characters gives the LIKE pattern trigrams of its own (the trigram
        # GIN answers it; measured at 1M, scanning the bigram GIN for a frequent pair such
        # as 科技 cost 20-28 ms a position); shorter sides are found by their bigrams.
        short = [side for side in (left, right) if len(side) < 3]
        tsquery = bigram_tsquery(*short)
        if tsquery is None and len(short) == 2:
            continue
        pattern = ILike(field, f"%{like_escape(left)}_{like_escape(right)}%")
        conditions.append(BigramMatch(field, tsquery) & pattern if tsquery else pattern)
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


# --- identifiers as they circulate -------------------------------------------------------


@dataclass
class IdentifierMatch:
    """How an identifier-like input was read: ``code`` the subject identifier looked up
    ("" when only older numbers are looked up), ``upgraded_from`` the 15-digit resident ID it
    was upgraded from, ``older`` a 9-character organisation code or a 15-digit former
    business registration number also looked up."""

    code: str = ""
    upgraded_from: str = ""
    older: str = ""
    older_scheme: str = ""
    masked: tuple[str, str] | None = None  # head and tail of a masked resident ID

    def condition(self) -> Q:
        condition = Q(identifier=self.code) if self.code else Q(pk__in=[])
        if self.masked:
            # LIKE 'head%' on the identifier's varchar_pattern_ops index, then the tail. Only
            # as many digits as the platform's own mask shows (privacy.mask_resident_id: 4 and
            # 4) are matched: a query keeping more ("11010119900307*022") must not confirm the
            # digits the mask hides, or repeated searches would spell out a listed person's ID.
            head, tail = self.masked
            head, tail = head[:4], tail[-4:]
            condition |= Q(
                kind=SubjectKind.NATURAL_PERSON,
                identifier__startswith=head,
                identifier__endswith=tail,
            )
        if self.older_scheme == FormerIdentifier.Scheme.ORGANISATION_CODE:
            condition |= Q(pk__in=_organisation_code_ids(self.older))
        if self.older:
            former = FormerIdentifier.objects.filter(value=self.older).values("subject_id")
            condition |= Q(pk__in=former)
        return condition


def _organisation_code_ids(code: str) -> QuerySet:
    """Organisations whose USCC carries the organisation code at positions 9-17 (index
    subject_organisation_code)."""
    return (
        Subject.objects.organisations()
        .alias(organisation_code=Substr("identifier", 9, 9))
        .filter(organisation_code=code)
        .values("pk")
    )


def identifier_match(query: str) -> IdentifierMatch | None:
    """Read a query as an identifier: a USCC or resident ID (15-digit upgraded), a registered
    nonconforming code, a 9-character organisation code (hyphen optional), or a 15-digit
    former business registration number. None if it is none of these."""
    try:
        parsed = identifiers.parse_identifier(query)
    except identifiers.IdentifierError:
        parsed = None
    raw = identifiers.normalise(query or "")
    if parsed is not None:
        match = IdentifierMatch(code=parsed.code, upgraded_from=parsed.upgraded_from)
        if parsed.upgraded_from:  # 15 digits: a former business registration number too
            match.older, match.older_scheme = raw, FormerIdentifier.Scheme.BUSINESS_REGISTRATION
        return match
    code = normalised_identifier(query)
    if code is not None:
        return IdentifierMatch(code=code)
    if (older := identifiers.parse_organisation_code(raw)) is not None:
        return IdentifierMatch(older=older, older_scheme=FormerIdentifier.Scheme.ORGANISATION_CODE)
    if (older := identifiers.business_registration_number(raw)) is not None:
        return IdentifierMatch(
            older=older, older_scheme=FormerIdentifier.Scheme.BUSINESS_REGISTRATION
        )
    if (masked := identifiers.parse_masked_resident_id(raw)) is not None:
        return IdentifierMatch(masked=masked, older_scheme="masked_identifier")
    return None


@dataclass
class Resolution:
    """One screened input: ``identifier`` the subject's current identifier when known (else
    the normalised input), ``error`` why it is not an identifier."""

    input: str
    valid: bool
    identifier: str = ""
    subject_id: int | None = None
    error: str = ""
    upgraded_from: str = ""
    matched_by: str = ""  # "" | organisation_code | business_registration | ...
    scheme: str = ""  # "uscc" | "resident_id" once valid


def subject_ids_by_identifier(codes: list[str]) -> dict[str, int]:
    """{identifier: subject id} for the registered ones among ``codes``: one index lookup
    (the array cast to the column's type, so the unique index is used; the ORM's `__in`
    with 10 000 parameters costs more in Python than the query)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT identifier, id FROM registry_subject WHERE identifier = ANY(%s::varchar[])",
            [codes],
        )
        return dict(cur.fetchall())


def resolve_identifiers(
    raws: list[str], *, lookup: Callable[[list[str]], dict[str, int]] | None = None
) -> list[Resolution]:
    """Screening's reading of up to 10 000 inputs, in order: valid codes in one indexed
    query; organisation codes, former business registration numbers and registered
    nonconforming codes in one more query each, only when such inputs are present.
    ``lookup`` (default subject_ids_by_identifier) maps codes to subject ids: a caller may
    pass one that reads more in the same query (sanctions' screening does)."""
    out: list[Resolution] = []
    older: dict[str, list[Resolution]] = {}
    for raw in raws:
        try:
            parsed = identifiers.parse_identifier(raw)
        except identifiers.IdentifierError as exc:
            code = identifiers.normalise(raw or "")
            item = Resolution(raw, False, error=exc.message)
            if identifiers.parse_organisation_code(code) or (
                identifiers.business_registration_number(code)
            ):
                older.setdefault(code, []).append(item)
            elif len(code) == 18 and code.isascii() and code.isalnum():
                item.identifier = code  # maybe a registered nonconforming code
            out.append(item)
            continue
        out.append(
            Resolution(
                raw, True, parsed.code, upgraded_from=parsed.upgraded_from, scheme=parsed.scheme
            )
        )
        if parsed.upgraded_from:
            older.setdefault(parsed.upgraded_from, [])
    codes = list({r.identifier for r in out if r.identifier})
    ids = (lookup or subject_ids_by_identifier)(codes)
    for item in out:
        if item.identifier and not item.valid and item.identifier in ids:
            item.valid, item.error = True, ""  # a nonconforming code of record
            item.scheme = "uscc"
        item.subject_id = ids.get(item.identifier) if item.valid else None
    if older:
        found: dict[str, tuple[str, int, str]] = {}
        former = FormerIdentifier.objects.filter(value__in=list(older)).values_list(
            "value", "scheme", "subject__identifier", "subject_id"
        )
        for value, scheme, current, subject_id in former:
            found.setdefault(value, (current, subject_id, scheme))
        org_codes = [v for v in older if len(v) == 9]
        if org_codes:
            by_code = (
                Subject.objects.organisations()
                .annotate(organisation_code=Substr("identifier", 9, 9))
                .filter(organisation_code__in=org_codes)
                .values_list("organisation_code", "identifier", "id")
            )
            for value, current, subject_id in by_code:
                found.setdefault(value, (current, subject_id, "organisation_code"))
        for value, items in older.items():
            if value not in found:
                continue
            current, subject_id, scheme = found[value]
            for item in items:
                item.valid, item.error, item.identifier = True, "", current
                item.scheme = "uscc" if scheme != "resident_id" else scheme
                item.subject_id, item.matched_by = subject_id, scheme
        for item in out:  # a 15-digit input read as a resident ID but known as a former number
            if item.upgraded_from and item.subject_id is None and item.upgraded_from in found:
                current, subject_id, scheme = found[item.upgraded_from]
                item.identifier, item.subject_id, item.matched_by = current, subject_id, scheme
                item.upgraded_from = ""
    return out


# --- the one subject search ----------------------------------------------------------------

PAGE_SIZE = 20
# Candidates collected per branch (current names, former names, pinyin) before ranking. A
# boilerplate fragment matches most of the table: take the first this many the cheapest plan
# yields (no ORDER BY, so PostgreSQL may stop a scan early) and rank only them.
CANDIDATE_CAP = 200


@dataclass
class SubjectSearch:
    """The result of subject_search.

    ``status``: empty | too_short | identifier | name | typo. ``rows``: one ranked page of
    subjects; each carries ``matched_former_name`` (the former name that matched, or None)
    and ``match`` ("identifier", "name", "former_name", "pinyin", "typo",
    "organisation_code", "business_registration"). ``total``: candidates ranked (at most one
    cap per branch); ``capped``: more matches exist than were ranked.
    """

    query: str
    status: str
    rows: list[Subject] = field(default_factory=list)
    page: int = 1
    has_next: bool = False
    total: int = 0
    capped: bool = False
    identifier: IdentifierMatch | None = None


def _term_condition(field_name: str, term: str) -> Q:
    if len(term) == 2:
        # The bigram GIN answers a rare pair; the ILIKE (the same test: name keys are folded
        # and lower-case) lets a sequential scan stop early on a frequent one (公司) without
        # computing the bigrams of every row it passes (the function costs 1000).
        return Q(BigramMatch(field_name, bigram_tsquery(term))) & Q(
            ILike(field_name, f"%{like_escape(term)}%")
        )
    return Q(ILike(field_name, f"%{like_escape(term)}%"))


def terms_condition(field_name: str, terms: list[str]) -> Q:
    """Every term (folded, see registry.names) is a substring of the key column: bigram GIN
    for 2-character terms, trigram GIN for longer ones; 1-character terms only filter the
    rows the others found."""
    return functools.reduce(operator.and_, [_term_condition(field_name, t) for t in terms])


@dataclass(order=True)
class _Candidate:
    """One matching subject and its rank: tier (0 current name, 1 former name, 2 pinyin),
    exact key, key prefix, trigram similarity (descending), name length, id."""

    tier: int
    exact: int
    prefix: int
    negative_similarity: float
    name_length: int
    pk: int


def _compiled_base(base: QuerySet[Subject]) -> tuple[str, tuple] | None:
    """The caller's visible set as SQL selecting ids, compiled once per search (the
    visibility rule is a nested EXISTS that costs more to compile than to run); None when it
    is the whole table."""
    if not base.query.where:
        return None
    return base.order_by().values("pk").query.sql_with_params()


def _capped_candidates(
    matching: QuerySet, base: tuple[str, tuple] | None, *, key: str, tier: int
) -> list[_Candidate]:
    """At most CANDIDATE_CAP subjects of ``matching`` (values_list of subject id, name_key
    and name under a name condition) that are also in ``base`` (the caller's visible set,
    see _compiled_base), with their rank, in one query.

    The name condition sits in a subquery fenced by OFFSET 0 and ``base`` is checked per
    candidate by primary key (EXISTS). Measured on 1 000 000 names: written as one WHERE,
    the planner charged the visibility test (an EXISTS over list entries) to every row a
    sequential scan would pass, so for a boilerplate fragment (有限公司, 660 000 matches) it
    built the whole trigram bitmap before the LIMIT; fenced, the scan stops after the first
    few hundred matches, and a rare fragment still takes the GIN index. Similarity is
    computed for the emitted candidates only.
    """
    inner_sql, inner_params = matching.order_by().query.sql_with_params()
    params: list = [key, *inner_params]
    # Only compiled querysets are spliced in; every value is a parameter.
    sql = f"SELECT c.id, c.name_key, c.name, similarity(c.name_key, %s) FROM ({inner_sql} OFFSET 0) c(id, name_key, name)"  # noqa: E501, S608
    if base is not None:
        base_sql, base_params = base
        # OFFSET 0 keeps the EXISTS a per-row test: pulled up into a semi-join, the query
        # would have two relations and PostgreSQL would plan the fenced scan for all its
        # rows (at 1M: the whole 有限公司 bitmap, 418 000 rows, 241 ms) instead of the LIMIT.
        sql += f" WHERE EXISTS (SELECT 1 FROM ({base_sql}) b(id) WHERE b.id = c.id OFFSET 0)"  # noqa: S608
        params.extend(base_params)
    sql += " LIMIT %s"
    params.append(CANDIDATE_CAP)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        _Candidate(
            tier=tier,
            exact=0 if name_key == key else 1,
            prefix=0 if name_key.startswith(key) else 1,
            negative_similarity=-similarity,
            name_length=len(name),
            pk=pk,
        )
        for pk, name_key, name, similarity in rows
    ]


def _ranked(branches: list[list[_Candidate]]) -> list[_Candidate]:
    """The candidates of every branch, each subject once (its best tier), in rank order."""
    best: dict[int, _Candidate] = {}
    for branch in branches:
        for candidate in branch:
            if candidate.pk not in best or candidate < best[candidate.pk]:
                best[candidate.pk] = candidate
    return sorted(best.values())


@dataclass
class _NameSearch:
    status: str  # too_short | name | typo
    key: str = ""
    terms: list[str] = field(default_factory=list)
    ranked: list[_Candidate] = field(default_factory=list)
    former: QuerySet[FormerName] | None = None
    # Some branch stopped at CANDIDATE_CAP: more subjects match than were ranked.
    capped: bool = False


def _name_condition(terms: list[str], *, per_row: bool = False) -> Q:
    """Every term in name_key (1-character terms only filter the others' rows). ``per_row``:
    the plain substring tests, for a row already found (no index to serve)."""
    if per_row:
        return functools.reduce(
            operator.and_, [Q(ILike("name_key", f"%{like_escape(t)}%")) for t in terms]
        )
    condition = terms_condition("name_key", [t for t in terms if len(t) >= 2])
    for t in terms:
        if len(t) < 2:
            condition &= Q(name_key__contains=t)
    return condition


def _name_search(query: str, base: QuerySet[Subject], *, typo_fallback: bool) -> _NameSearch:
    """Steps 2 and 3 of subject_search: every candidate, ranked (one query per branch)."""
    terms = names.query_terms(query)
    key = "".join(terms)
    if len(key) < MIN_QUERY_CHARS or not any(len(t) >= 2 for t in terms):
        return _NameSearch("too_short")
    in_name, in_former = _name_condition(terms), _name_condition(terms)
    former = FormerName.objects.filter(in_former)
    subjects = Subject.objects.values_list("pk", "name_key", "name")
    base = _compiled_base(base)
    # Former names drive their branch (a subject with two matching former names comes twice
    # and is counted once by _ranked).
    by_former = former.values_list("subject_id", "subject__name_key", "subject__name")
    branches = [
        _capped_candidates(subjects.filter(in_name), base, key=key, tier=0),
        _capped_candidates(by_former, base, key=key, tier=1),
    ]
    if names.is_latin_query(terms):
        in_pinyin = ILike("name_pinyin", f"%{like_escape(key)}%")
        branches.append(_capped_candidates(subjects.filter(in_pinyin), base, key=key, tier=2))
    ranked = _ranked(branches)
    capped = any(len(branch) >= CANDIDATE_CAP for branch in branches)
    if ranked or not typo_fallback or len(terms) != 1:
        return _NameSearch("name", key, terms, ranked, former, capped)
    typo = typo_conditions("name_key", key)
    if typo:
        near = subjects.filter(functools.reduce(operator.or_, typo))
        ranked = _ranked([_capped_candidates(near, base, key=key, tier=0)])
        capped = len(ranked) >= CANDIDATE_CAP
    return _NameSearch("typo", key, terms, ranked, former, capped)


def subject_search(
    query: str,
    *,
    base: QuerySet[Subject] | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> SubjectSearch:
    """Search subjects by identifier or name: the one search of the portal, the API and the
    admin. ``base`` is the caller's visible set (public subjects, filters). A handful of
    queries at most, each bounded, whatever the table size:

    1. identifiers (validate, upgrade a 15-digit resident ID, organisation code, former
       business registration number): exact index lookups;
    2. names: the query is folded term by term with registry.names.search_key (NFKC,
       traditional -> simplified, brackets, separators, whitespace) and every term must be a
       substring of the subject's name_key, or of one of its former names' keys; a Latin
       query of 3+ letters also matches name_pinyin. Each branch takes at most CANDIDATE_CAP
       subjects (one query each, see _capped_candidates), ranked here: character matches on
       the current name, then on a former name, then pinyin; exact key, prefix, trigram
       similarity, shorter names;
    3. typo fallback (one character changed) when nothing matched;
    4. the page's subjects, and the former name that matched for those found by one.
    """
    base = Subject.objects.all() if base is None else base
    query = clean_query(query)
    max_page = max(1, CANDIDATE_CAP * 3 // page_size)
    page = max(1, min(page, max_page))
    if not query:
        return SubjectSearch(query, "empty")
    match = identifier_match(query)
    if match is not None:
        rows = list(base.filter(match.condition()).select_related("division")[:page_size])
        for row in rows:
            row.matched_former_name = None
            row.match = "identifier" if row.identifier == match.code else match.older_scheme
        # A 9-letter word may pass the organisation-code check by chance (1 in 11): when
        # only an older number was tried and it found nothing, search the names too.
        if rows or match.code:
            return SubjectSearch(query, "identifier", rows, total=len(rows), identifier=match)
    found = _name_search(query, base, typo_fallback=page == 1)
    if found.status == "too_short":
        return SubjectSearch(query, "too_short")
    offset = (page - 1) * page_size
    shown = found.ranked[offset : offset + page_size]
    by_pk = Subject.objects.select_related("division").in_bulk([c.pk for c in shown])
    rows = []
    for candidate in shown:
        row = by_pk[candidate.pk]
        row.tier = candidate.tier
        rows.append(row)
    total = len(found.ranked)
    result = SubjectSearch(
        query,
        found.status,
        rows=rows,
        page=page,
        has_next=total > offset + page_size,
        total=total,
        capped=total >= CANDIDATE_CAP,
    )
    _attach_matches(result, found.former)
    return result


def subject_search_ids(query: str, *, base: QuerySet[Subject]) -> list[int]:
    """The ids of subject_search's best CANDIDATE_CAP matches within ``base``, without
    loading the subjects: for admin searches that filter their own rows (entries,
    sanctions) by the matching subjects."""
    query = clean_query(query)
    if not query:
        return []
    match = identifier_match(query)
    if match is not None:
        ids = list(base.filter(match.condition()).values_list("pk", flat=True)[:CANDIDATE_CAP])
        if ids or match.code:
            return ids
    found = _name_search(query, base, typo_fallback=True)
    return [c.pk for c in found.ranked[:CANDIDATE_CAP]]


def subject_search_filter(query: str, *, path: str = "subject") -> Q:
    """A condition on another model's rows (list entries, sanctions, objections) whose
    subject, reached by ``path``, matches the query as subject_search reads it (identifiers
    as they circulate, names folded, former names, pinyin, the typo fallback): for admin
    searches that keep their own order and paging.

    Subjects first (measured on 1 000 000 subjects): when every branch of the search finds
    fewer than CANDIDATE_CAP subjects, the condition is ``<path> IN (those ids)`` (exact, and
    an index lookup per subject). A boilerplate query (有限公司) matches hundreds of
    thousands: then the condition is the name match itself, tested per row through the
    subject's primary key, so the caller's ordered scan stops at its page instead of first
    collecting every matching subject.
    """
    query = clean_query(query)
    nothing = Q(pk__in=[])
    if not query:
        return nothing
    match = identifier_match(query)
    if match is not None:
        ids = list(
            Subject.objects.filter(match.condition()).values_list("pk", flat=True)[:CANDIDATE_CAP]
        )
        if ids or match.code:
            return Q(**{f"{path}__in": ids}) if ids else nothing
    found = _name_search(query, Subject.objects.all(), typo_fallback=True)
    if found.status == "too_short":
        return nothing
    if not found.capped or found.status == "typo":  # typos: the closest CANDIDATE_CAP
        return Q(**{f"{path}__in": [c.pk for c in found.ranked]}) if found.ranked else nothing
    # A scalar subquery on the row's own subject: PostgreSQL evaluates it per row (an
    # EXISTS or IN under OR is hashed, and a join is planned as a hash join of the whole
    # registry: either first collects every matching subject). Former names are few: their
    # EXISTS may be hashed.
    in_former = FormerName.objects.filter(_name_condition(found.terms), subject_id=OuterRef("pk"))
    condition = _name_condition(found.terms, per_row=True) | Q(Exists(in_former))
    if names.is_latin_query(found.terms):
        condition |= Q(ILike("name_pinyin", f"%{like_escape(found.key)}%"))
    tested = (
        Subject.objects.filter(pk=OuterRef(path))
        .annotate(matches=ExpressionWrapper(condition, output_field=BooleanField()))
        .values("matches")[:1]
    )
    return Q(Subquery(tested, output_field=BooleanField()))


def _attach_matches(result: SubjectSearch, former: QuerySet[FormerName] | None) -> None:
    """row.match and row.matched_former_name for the page (one query, page-bounded)."""
    rows = result.rows
    if not rows:
        return
    matched: dict[int, str] = {}
    if former is not None and any(r.tier == 1 for r in rows):
        pairs = former.filter(subject_id__in=[r.pk for r in rows if r.tier == 1]).values_list(
            "subject_id", "name"
        )
        for subject_id, name in pairs.order_by("pk"):
            matched.setdefault(subject_id, name)
    for row in rows:
        row.matched_former_name = matched.get(row.pk) if row.tier == 1 else None
        if result.status == "typo":
            row.match = "typo"
        else:
            row.match = {0: "name", 1: "former_name"}.get(row.tier, "pinyin")


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
