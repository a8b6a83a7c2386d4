"""The one name normaliser: the same function builds the stored search keys and every query.

``search_key(name)`` folds the ways one name is typed and saved (issue 8):

- Unicode NFKC: full-width letters, digits and punctuation to their ASCII forms;
- traditional characters to simplified with OpenCC's ``t2s`` configuration (a maintained
  dictionary of thousands of variants, not a hand-made table);
- every bracket form (（）() 【】[] 〔〕 〖〗 ｛｝{}) to ``(`` and ``)``;
- the separators of minority and foreign names (``·`` ``•`` ``・`` ``．`` ``.`` ``‧`` ``-`` and
  their look-alikes) removed, so that any of them, or none, matches;
- whitespace removed, Latin letters lower-cased.

``pinyin_key(name)`` is the toneless pinyin of the folded name (``华为技术`` -> ``huaweijishu``),
Latin letters and digits kept, for Latin queries typed by officers who do not write Chinese.

Both are pure functions of the name; the model fills them on save and on bulk_create
(``registry.models``), and migration 0010 fills existing rows in batches.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc
from pypinyin import Style, lazy_pinyin

_OPEN = "([【〔〖｛{〘〚［（﹙⦅"
_CLOSE = ")]】〕〗｝}〙〛］）﹚⦆"
_BRACKETS = {ord(c): "(" for c in _OPEN} | {ord(c): ")" for c in _CLOSE}
# Middle dots and other separators used between the parts of minority and foreign names
# (帕丽达·艾合买提, 帕丽达.艾合买提, 帕丽达艾合买提), plus hyphens and dashes.
_SEPARATORS = "·•・．.‧∙⋅･ᐧ-‐‑‒–—―－﹣_"
_DROP = {ord(c): None for c in _SEPARATORS}
_SPACE = re.compile(r"\s+")
_LATIN_QUERY = re.compile(r"^[a-z]{3,}$")
MAX_KEY = 400  # NFKC may lengthen a 200-character name (㈱ -> (株))


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def search_key(text: str | None) -> str:
    """The folded form of a name or of one query term (see module docstring); '' for None."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    folded = _converter().convert(folded)
    folded = folded.translate(_BRACKETS).translate(_DROP)
    return _SPACE.sub("", folded).lower()[:MAX_KEY]


def query_terms(query: str | None) -> list[str]:
    """A query split on whitespace (U+3000 too) into folded terms, empty terms dropped.

    ``'永明 珠宝'`` -> ``['永明', '珠宝']``: a subject matches when its key contains every term.
    """
    return [key for part in _SPACE.split(query or "") if (key := search_key(part))]


def pinyin_key(text: str | None) -> str:
    """Toneless pinyin of the folded name, syllables joined: '华为技术' -> 'huaweijishu'.

    Characters without a reading (Latin letters, digits, brackets) are kept as they are.
    """
    key = search_key(text)
    if not key:
        return ""
    return "".join(lazy_pinyin(key, style=Style.NORMAL, errors=lambda s: s)).lower()[:MAX_KEY]


def is_latin_query(terms: list[str]) -> bool:
    """True for a query that may be pinyin: Latin letters only, three or more in all."""
    return bool(terms) and _LATIN_QUERY.match("".join(terms)) is not None
