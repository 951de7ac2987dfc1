"""What a web process prepares once when it loads, rather than on its first requests."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import timezone, translation

from amargah.core.context_processors import navigation


def warm() -> list[str]:
    """Load what the first requests in each language would otherwise load; return the
    names of the templates compiled.

    Every app's URLs and views, the URL maps that ``reverse`` builds per language, the
    translation catalogs, the menus, the time zone, and the site's own templates
    compiled (Django's cached loader keeps them). Touches neither the database nor the
    cache. ``amargah.config.wsgi`` calls it: under gunicorn's ``--preload`` the master
    does it once (about 0.07 s of CPU) and every worker inherits it at the fork, so a
    restarted server's first answers do not each pay for a part of it.
    """
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 (builds the language's URL maps, every app's)
    for staff in (False, True):
        navigation("/", staff=staff)
    navigation("/", place="footer_navigation")
    timezone.get_default_timezone()
    return _compile_templates()


def _compile_templates() -> list[str]:
    package = Path(__file__).resolve().parents[1]
    names: list[str] = []
    for backend in engines.all():
        engine = getattr(backend, "engine", None)
        if engine is None:
            continue
        for folder in map(Path, engine.dirs + _app_template_dirs(engine)):
            if package not in folder.resolve().parents:
                continue  # Django's and other packages' templates (the admin): on demand
            for path in sorted(folder.rglob("*.html")):
                name = path.relative_to(folder).as_posix()
                backend.get_template(name)
                names.append(name)
    return names


def _app_template_dirs(engine: object) -> list[str]:
    folders: list[str] = []
    for loader in getattr(engine, "template_loaders", ()):
        folders.extend(str(folder) for folder in loader.get_dirs())
    return folders
