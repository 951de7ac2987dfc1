"""The site shell's fragments: rendered once per language and page, never across visitors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client
from django.utils import translation


def test_a_fragment_is_rendered_once_per_language_and_value() -> None:
    calls: list[str] = []

    def counted() -> str:
        calls.append("x")
        return str(len(calls))

    template = Template("{% load amargah %}{% fragment page %}{{ counted }}{% endfragment %}")
    with translation.override("fa"):
        first = [template.render(Context({"page": "/a/", "counted": counted})) for _ in range(3)]
        other = template.render(Context({"page": "/b/", "counted": counted}))
    with translation.override("en"):
        english = template.render(Context({"page": "/a/", "counted": counted}))
    assert first == ["1", "1", "1"] and other == "2" and english == "3"


def test_a_changed_setting_forgets_every_fragment(settings: Any) -> None:
    template = Template("{% load amargah %}{% fragment %}{{ value }}{% endfragment %}")
    assert template.render(Context({"value": "old"})) == "old"
    assert template.render(Context({"value": "new"})) == "old"
    settings.STATIC_URL = "/assets/"
    assert template.render(Context({"value": "new"})) == "new"


def test_a_block_cannot_be_inside_a_fragment() -> None:
    with pytest.raises(TemplateSyntaxError, match="fragment"):
        Template("{% load amargah %}{% fragment %}{% block x %}{% endblock %}{% endfragment %}")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


@pytest.mark.django_db
def test_the_shell_keeps_what_is_each_visitors_own() -> None:
    pages = {}
    for path in ("/desk/", "/desk/track/", "/desk/?step=2"):
        pages[path] = [Client().get(path).content.decode() for _ in range(2)]
    # Each response carries its own CSRF token and its own address to come back to.
    tokens = {_csrf(html) for htmls in pages.values() for html in htmls}
    assert len(tokens) == 6
    assert 'name="next" value="/desk/?step=2"' in pages["/desk/?step=2"][1]
    # The menu marks the page shown, however often the shell was rendered before.
    for path, current in (("/desk/", "/desk/"), ("/desk/track/", "/desk/track/")):
        html = pages[path][1]
        assert f'aria-current="page" href="{current}"' in html
        assert html.count('aria-current="page"') == 1
    # English visitors get the English shell.
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = english.get("/desk/").content.decode()
    assert '<html lang="en" dir="ltr">' in html and 'lang="fa"' in html  # the switch


@pytest.mark.django_db
def test_staff_see_their_menu_and_visitors_do_not() -> None:
    User.objects.create_user("clerk", password="pw", is_staff=True)
    staff = Client()
    staff.login(username="clerk", password="pw")
    public = Client()
    before = public.get("/desk/").content.decode()
    staff_html = staff.get("/desk/").content.decode()
    after = public.get("/desk/").content.decode()
    menu = re.compile(r'<ul class="navbar-nav me-auto">(.*?)</ul>', re.DOTALL)
    public_menu, staff_menu = menu.search(before), menu.search(staff_html)
    assert public_menu is not None and staff_menu is not None
    assert staff_menu.group(1) != public_menu.group(1)
    assert menu.search(after).group(1) == public_menu.group(1)  # type: ignore[union-attr]
