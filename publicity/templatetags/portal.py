"""Template helpers of the portal: labels, localised names, subject links."""

from django import template
from django.utils.translation import get_language, get_language_info

from publicity.selectors import subject_ref
from scs import labels

register = template.Library()


@register.filter
def label(code: str, vocabulary: str) -> str:
    """{{ subject.kind|label:"subject_kind" }}"""
    return labels.label(vocabulary, code)


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def localised(obj, field: str = "name") -> str:
    """obj.<field>_en in English when it is filled in, else obj.<field>."""
    return labels.localised(obj, field)


@register.filter
def division_name(division) -> str:
    if division is None:
        return ""
    return division.name_en if _english() and division.name_en else division.name_zh


@register.simple_tag
def subject_url(subject) -> str:
    """The subject page, never with a full resident ID in the address."""
    from django.urls import reverse

    return reverse("publicity:subject", args=[subject_ref(subject)])


@register.filter
def language_name(code: str) -> str:
    """The name of a language code in the reader's language (zh-hans: 简体中文), never the code."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code
