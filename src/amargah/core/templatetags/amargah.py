"""Template filters for Persian-first pages (Jalali dates, Persian digits, numbers) and the
site shell's fragment memo."""

from __future__ import annotations

import datetime as dt

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template import TemplateSyntaxError
from django.template.base import FilterExpression, Parser, Token
from django.template.loader_tags import BlockNode
from django.utils.translation import get_language

from amargah.core import dates
from amargah.core.persian import to_persian_digits

register = template.Library()


def _language() -> str:
    return (get_language() or "fa").split("-")[0]


@register.filter
def jdate(value: dt.date | dt.datetime | None) -> str:
    """A date: Jalali with Persian digits in Persian, Gregorian in English."""
    return "" if value is None else dates.format_date(value, _language())


@register.filter
def jdate_weekday(value: dt.date | dt.datetime | None) -> str:
    """A date with its weekday name."""
    return "" if value is None else dates.format_date(value, _language(), weekday=True)


@register.filter
def jdatetime(value: dt.datetime | None) -> str:
    """A moment: local date and time."""
    return "" if value is None else dates.format_datetime(value, _language())


@register.filter
def digits(value: object) -> str:
    """Any text with Persian digits when the page is Persian."""
    text = str(value)
    return to_persian_digits(text) if _language() == "fa" else text


@register.filter
def number(value: int | float | None, decimals: int = 0) -> str:
    """A number with thousands separators, in the page's digits."""
    return "" if value is None else dates.format_number(value, _language(), decimals=decimals)


@register.filter
def localized(value: object, field: str) -> str:
    """The ``<field>_fa`` or ``<field>_en`` attribute of a bilingual record."""
    return str(getattr(value, f"{field}_{_language()}", None) or getattr(value, f"{field}_fa", ""))


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """A percentage with the page's digits and percent sign."""
    if value is None:
        return ""
    language = _language()
    sign = "٪" if language == "fa" else "%"
    return dates.format_number(value, language, decimals=decimals) + sign


@register.filter
def percent_of(value: float | None, decimals: int = 1) -> str:
    """A fraction (0.92) shown as a percentage (92.0%)."""
    return "" if value is None else percent(100 * value, decimals)


@register.filter
def text(value: object) -> str:
    """A two-language text object (with ``.fa`` and ``.en``) in the page's language."""
    return str(getattr(value, _language(), "") or getattr(value, "fa", ""))


@register.filter
def get_item(mapping: object, key: str) -> object:
    """``mapping[key]``, or an empty tuple when absent (for template lookups by variable)."""
    getter = getattr(mapping, "get", None)
    return getter(key, ()) if getter is not None else ()


class _Fragments:
    """Generation of every fragment's memo: a changed setting (in tests) forgets them all."""

    generation = 0

    @classmethod
    def forget(cls, **_: object) -> None:
        cls.generation += 1


setting_changed.connect(_Fragments.forget, dispatch_uid="amargah-template-fragments")


class FragmentNode(template.Node):
    """Renders its content once per language and vary-on values, then returns the memo."""

    # Distinct renderings kept per fragment; past this (say, many 404 paths) it starts over.
    MAX_KEPT = 256
    # Hidden from node searches: {% extends %} looks for the parent's blocks on every
    # render and would otherwise walk the whole shell (none may be inside, see below).
    child_nodelists = ()

    def __init__(self, nodelist: template.NodeList, vary_on: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.vary_on = vary_on
        self.rendered: dict[tuple[object, ...], str] = {}
        self.generation = _Fragments.generation

    def render(self, context: template.Context) -> str:
        if settings.DEBUG:  # templates edited while the development server runs
            return self.nodelist.render(context)
        if self.generation != _Fragments.generation:
            self.rendered, self.generation = {}, _Fragments.generation
        key = (get_language(), *(value.resolve(context) for value in self.vary_on))
        html = self.rendered.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(self.rendered) >= self.MAX_KEPT:
                self.rendered = {}
            self.rendered[key] = html
        return html


@register.tag
def fragment(parser: Parser, token: Token) -> FragmentNode:
    """``{% fragment value ... %}…{% endfragment %}``: the site shell's parts that are the same
    on every page of a language, rendered once per process instead of on every request.

    The content is rendered once per language and combination of the values named
    (hashable: a path, a flag, a date) and kept in the worker's memory. It must depend
    on nothing else: never put the CSRF token, the query string, messages or anything
    about the visitor inside, and name as a value whatever else it shows.
    """
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        # A block's content comes from the page that extends: it cannot be rendered once.
        raise TemplateSyntaxError("{% block %} cannot be inside {% fragment %}")
    return FragmentNode(
        nodelist, [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    )
