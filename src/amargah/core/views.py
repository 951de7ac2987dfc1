"""The site's own pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amargah.core import selectors


def home(request: HttpRequest) -> HttpResponse:
    """The home page: what the office offers, and its studies."""
    return render(request, "core/home.html", {"studies": selectors.study_summaries()})
