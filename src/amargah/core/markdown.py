"""Markdown for content that staff write (the charter), rendered safely."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Raw HTML is off: staff text can format, never inject markup or scripts.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str) -> SafeString:
    """HTML for a Markdown text, with any raw HTML in it escaped."""
    return mark_safe(_renderer.render(text))  # noqa: S308 - html is disabled above
