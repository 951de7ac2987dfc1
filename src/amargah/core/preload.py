"""What a web process prepares once when it loads, rather than on its first requests."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import timezone, translation
from django.utils.module_loading import import_string, module_has_submodule

from amargah.core.context_processors import navigation


def warm() -> list[str]:
    """Load what the first requests in each language would otherwise load; return the
    names of the templates compiled.

    Every app's URLs and views, the URL maps that ``reverse`` builds per language, the
    translation catalogs, the menus, the time zone, the modules a request imports on
    first use (tasks, context processors, message storage, session serializer), every
    model's field tables, and the site's own templates compiled (Django's cached loader
    keeps them). Touches neither the database nor the cache. ``amargah.config.wsgi``
    calls it: under gunicorn's ``--preload`` the master does it once (about 0.08 s of
    CPU) and every worker inherits it at the fork, so a restarted server's first answers
    do not each pay for a part of it.
    """
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 (builds the language's URL maps, every app's)
    for staff in (False, True):
        navigation("/", staff=staff)
    navigation("/", place="footer_navigation")
    timezone.get_default_timezone()
    _import_deferred()
    _model_tables()
    return _compile_templates()


def _import_deferred() -> None:
    # The first desk submission imported these, about 4 ms of CPU in each worker: the
    # services import their app's tasks inside functions (the tasks import the services).
    for config in apps.get_app_configs():
        if config.name.startswith("amargah.") and module_has_submodule(config.module, "tasks"):
            import_module(f"{config.name}.tasks")
    for backend in engines.all():
        engine = getattr(backend, "engine", None)
        if engine is not None:
            engine.template_context_processors  # noqa: B018 (imports them)
    if apps.is_installed("django.contrib.messages"):
        import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)


def _model_tables() -> None:
    # Django works out each model's fields and relations the first time a row is saved
    # or read (about 2 ms of CPU for the first submission), once per process.
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        meta.get_fields()
        meta.concrete_fields  # noqa: B018
        meta.local_concrete_fields  # noqa: B018
        meta.db_returning_fields  # noqa: B018
        meta._reverse_one_to_one_field_names  # type: ignore[attr-defined]  # noqa: B018


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
