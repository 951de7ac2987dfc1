"""The ``amargah`` command: the demo office, the demo world and the statistical tools.

Commands that need Django set it up themselves; a configuration error is
printed as one line naming the variable to set, with exit code 2.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(
    name="amargah",
    help="Amargah: the software of the Semnan Province statistics office.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)

DEFAULT_SETTINGS = "amargah.config.settings.local"
DEMO_USERNAME = "admin"


def setup_django() -> None:
    """Configure Django from the environment, or stop with a one-line message."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        # One plain line (no wrapping): operators grep logs for it.
        typer.echo(f"amargah: configuration error: {error}", err=True)
        raise typer.Exit(code=2) from None


def _data_dir() -> Path:
    from amargah.config.env import data_dir

    return data_dir()


@app.command(
    "manage",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (amargah manage migrate, …)."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amargah manage", *ctx.args])


@app.command("demo-world")
def demo_world(
    *,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if already built.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 1405,
    scale: Annotated[float, typer.Option(help="Population scale; 1.0 is ~0.7 million.")] = 1.0,
) -> None:
    """Build the synthetic Semnan Province: census, sampling frame and labour-force survey."""
    from amargah.demo.world import build_world, load_manifest

    out_dir = _data_dir() / "demo-world"
    existing = load_manifest(out_dir)
    if existing is not None and not force and existing.seed == seed and existing.scale == scale:
        console.print(f"Demo world already built in {out_dir}; use --force to rebuild.")
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("Demo world", total=1.0)

        def report(step: str, fraction: float) -> None:
            progress.update(task, description=step, completed=fraction)

        manifest = build_world(out_dir, seed=seed, scale=scale, progress=report)
    console.print(f"Demo world built in {out_dir}: {manifest.rows['census_persons']:,} persons.")


def ensure_demo_staff(data_dir: Path) -> tuple[str, str]:
    """Create the demo staff account once; return its username and password.

    The password is random per installation and kept in the data directory, so
    ``make demo`` can print the same login every time it starts.
    """
    from django.contrib.auth import get_user_model

    secret_file = data_dir / "demo-login.txt"
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_USERNAME).first()
    if user is not None and secret_file.exists():
        return DEMO_USERNAME, secret_file.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(12)
    if user is None:
        user = user_model(username=DEMO_USERNAME, is_staff=True, is_superuser=True)
    user.set_password(password)
    user.save()
    secret_file.write_text(password + "\n", encoding="utf-8")
    secret_file.chmod(0o600)
    return DEMO_USERNAME, password


def load_demo_records() -> None:
    """Fill the office's records for the demo once: status history, desk traffic, projects."""
    from amargah.desk.demo import create_demo_traffic
    from amargah.portal.demo import publish_demo
    from amargah.production.demo import create_demo_projects
    from amargah.status.demo import create_demo_status

    # Each loader does nothing when its records already exist.
    steps = (
        ("status history", create_demo_status),
        ("service-desk tickets", create_demo_traffic),
        ("portal tables", lambda: publish_demo(_data_dir() / "demo-world")),
        ("production projects and plans", lambda: create_demo_projects(data_dir=_data_dir())),
    )
    for label, load in steps:
        created = load()
        if created:
            console.print(f"Demo {label}: {created} created.")


@app.command("demo")
def demo(
    *,
    address: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1:8000",
    serve_site: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server after set-up.")
    ] = True,
) -> None:
    """Set up the demo office (migrate, demo world, staff login) and serve it."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    demo_world(force=False, seed=1405, scale=1.0)
    load_demo_records()
    username, password = ensure_demo_staff(_data_dir())
    console.print(f"Staff login: {username} / {password}  (http://{address}/staff/)")
    if serve_site:
        serve(address=address)


@app.command("serve")
def serve(
    *,
    address: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1:8000",
) -> None:
    """Run the web server and the background worker together; Ctrl-C stops both."""
    setup_django()
    import datetime as dt

    from amargah.production.tasks import reminders_schedule
    from amargah.status.tasks import probe_schedule

    # The worker keeps the availability probe and the daily production reminders going
    # once the first of each is queued.
    probe_schedule(delay=dt.timedelta(0))
    reminders_schedule()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS),
    }
    base = [sys.executable, "-m", "amargah", "manage"]
    children = [
        subprocess.Popen([*base, "runserver", address, "--noreload"], env=env),  # noqa: S603
        subprocess.Popen([*base, "db_worker", "--interval", "1"], env=env),  # noqa: S603
    ]
    console.print(f"Amargah is serving on http://{address}/ with a background worker.")

    stopping = False

    def stop(signum: int, frame: object) -> None:
        # Only the first signal interrupts: a second (uv run forwards the SIGTERM a
        # process manager also sends to the group; Ctrl-C pressed twice) would otherwise
        # break off the clean-up below and leave the children running.
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    # Ctrl-C, or a SIGTERM from a process manager, stops both children (a server started
    # in the background, with interrupts ignored, keeps ignoring them).
    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                # SIGTERM, not SIGINT: a child started from a background job ignores
                # SIGINT; the worker finishes its current task on SIGTERM.
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [child.returncode for child in children if child.returncode not in (0, None, -2)]
    if failed:
        raise typer.Exit(code=1)


def _register_tools() -> None:
    # The statistical library owns its commands (estimate, …); they need no Django.
    from amargah.stats.cli import register

    register(app)


_register_tools()


def main() -> None:
    """Entry point of the ``amargah`` console script."""
    app()


if __name__ == "__main__":
    main()
