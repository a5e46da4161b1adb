"""The `binelek` command."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
import uvloop
from cryptography.fernet import Fernet
from rich.console import Console

from binelek.kit.settings import ConfigurationError, Settings, load_settings

app = typer.Typer(help="Binelek: the open-source SMB AI Command Platform.", no_args_is_help=True)
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    from binelek.kit.migrate import migrate_sync

    with console.status("Applying database migrations…"):
        migrate_sync(settings)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before serving.")] = True,
    access_log: Annotated[
        bool, typer.Option(help="uvicorn's own access log (structured logs cover it).")
    ] = False,
) -> None:
    """Serve the API and the web app (and, embedded, the background jobs)."""
    import uvicorn

    from binelek.app import create_app

    settings = _settings()
    if migrate:
        _migrate(settings)
    console.print(
        f"Binelek on http://{host}:{port} — "
        + (
            "embedded mode, data in " + str(settings.binelek_data_dir.resolve())
            if settings.embedded
            else "production database"
        )
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=access_log,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@app.command()
def worker() -> None:
    """Run background work only (durable workflows, queues, schedules, the outbox dispatcher)."""
    from binelek.app import build_state, start_background, stop_background
    from binelek.kit.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)

    async def run() -> None:
        state = build_state(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await start_background(state)
        gc.collect()
        gc.freeze()  # as the API process does after start-up (decisions.md)
        console.print("Worker running; Ctrl-C to stop.")
        await stop.wait()
        await stop_background(state)
        await state.db.dispose()

    uvloop.run(run())  # the loop uvicorn gives `serve`


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    _migrate(_settings())
    console.print("[green]Database is up to date.[/green]")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create (once) the demo business and print its logins."""
    from rich.progress import Progress, TaskID

    from binelek.demo import DEMO_PASSWORD, seed

    settings = _settings()
    _migrate(settings)
    with Progress(console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def show(entity: str, done: int, total: int) -> None:
            if entity not in tasks:
                tasks[entity] = progress.add_task(f"Importing demo {entity.replace('_', ' ')}", total=total)
            progress.update(tasks[entity], completed=done)

        created, logins = asyncio.run(seed(settings, show))
    console.print("[green]Demo tenant created.[/green]" if created else "Demo tenant already present.")
    for role, email in logins:
        console.print(f"  {role:<7} {email}  password: {DEMO_PASSWORD}")


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(prompt=True)],
    full_name: Annotated[str, typer.Option(prompt=True)],
    tenant_id: Annotated[str, typer.Option(prompt=True, help="Organization id")],
    role: Annotated[str, typer.Option()] = "member",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Add a person to an organization (creating the account if needed)."""
    from binelek.identity import service
    from binelek.kit.db import Database
    from binelek.kit.errors import ProblemError

    if role not in ("admin", "member", "viewer"):
        console.print("[red]Role must be admin, member or viewer.[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)

    async def run() -> uuid.UUID:
        db = Database(settings.sqlalchemy_url)
        try:
            async with db.session() as session:
                user = await service.create_user(
                    session,
                    email=email,
                    password=password,
                    full_name=full_name,
                    tenant_id=uuid.UUID(tenant_id),
                    role=role,
                )
                return user.id
        finally:
            await db.dispose()

    try:
        user_id = asyncio.run(run())
    except (ProblemError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]User {email} ({user_id}) is now {role}.[/green]")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Add a new encryption key and re-encrypt every stored secret with it."""
    from binelek.kit.rotation import rotate

    settings = _settings()
    _migrate(settings)
    counts = asyncio.run(rotate(settings, console))
    console.print(f"[green]Re-encrypted {sum(counts.values())} secrets[/green] " + json.dumps(counts))
    if not settings.embedded:
        console.print("Set ENCRYPTION_KEY to the new list printed above on every process, then restart them.")


tenant_app = typer.Typer(help="An organization's data: full export and deletion.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")


@tenant_app.command("export")
def tenant_export(
    tenant: Annotated[str, typer.Argument(help="Organization id or exact name.")],
    out: Annotated[Path, typer.Argument(help="ZIP file to write.")],
) -> None:
    """Write every table the organization owns (JSON, business data also CSV) to a ZIP; no secrets."""
    from binelek.kit.errors import ProblemError
    from binelek.tenantdata import commands

    settings = _settings()
    _migrate(settings)
    try:
        result = asyncio.run(commands.export(settings, tenant, out, console))
    except ProblemError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]Exported {sum(result.counts.values())} rows from {len(result.counts)} tables[/green] "
        f"to {out} ({result.size_bytes} bytes)."
    )


@tenant_app.command("delete")
def tenant_delete(
    tenant: Annotated[str, typer.Argument(help="Organization id or exact name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Delete the organization, all its data, files, vectors and cache, and the people who belong to
    no other organization. Safe to run again after an interruption."""
    from binelek.kit.errors import ProblemError
    from binelek.tenantdata import commands

    if not yes:
        console.print("[red]Deleting an organization cannot be undone; add --yes to confirm.[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    try:
        name, report = asyncio.run(commands.delete(settings, tenant, console))
    except ProblemError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]Deleted {name}:[/green] {sum(report.rows.values())} rows, "
        f"{report.users_deleted} people who belonged nowhere else."
    )


vulndb_app = typer.Typer(
    help="The offline vulnerability database (OSV entries, CISA KEV).", no_args_is_help=True
)
app.add_typer(vulndb_app, name="vulndb")


@vulndb_app.command("import")
def vulndb_import(
    files: Annotated[
        list[Path], typer.Argument(help="OSV zip (per ecosystem), OSV JSON bundle or KEV JSON.")
    ],
) -> None:
    """Import vulnerability data; re-importing a file is safe (newer entries replace older ones)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from binelek.kit.db import Database
    from binelek.security import vulndb

    settings = _settings()
    _migrate(settings)

    async def run() -> list[vulndb.ImportStats]:
        db = Database(settings.sqlalchemy_url)
        results = []
        try:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as progress:
                for path in files:
                    task = progress.add_task(f"Importing {path.name}", total=None)

                    def show(done: int, total: int | None, task: Any = task) -> None:
                        progress.update(task, completed=done, total=total)

                    async with db.session() as session:
                        results.append(await vulndb.import_file(session, path, progress=show))
        finally:
            await db.dispose()
        return results

    try:
        results = asyncio.run(run())
    except (OSError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    for stats in results:
        console.print(
            f"[green]{stats.source}[/green]: {stats.vulnerabilities} vulnerabilities, "
            f"{stats.packages} packages, {stats.known_exploited} known exploited, "
            f"{stats.unchanged} unchanged, {stats.skipped} skipped"
        )
        for reason, count in stats.skip_reasons.items():
            console.print(f"  skipped {count}: {reason}")


plan_app = typer.Typer(help="Plans: what each allows, and each organization's plan.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("list")
def plan_list() -> None:
    """Show the plans and every organization's plan."""
    from binelek.plans.cli import list_plans

    settings = _settings()
    _migrate(settings)
    asyncio.run(list_plans(settings, console))


@plan_app.command("set")
def plan_set(
    organization: Annotated[str, typer.Argument(help="Organization slug (its name in kebab-case) or id.")],
    plan: Annotated[str, typer.Argument(help="free, pro, business or enterprise.")],
) -> None:
    """Move an organization to another plan (audit-logged)."""
    from binelek.kit.errors import ProblemError
    from binelek.plans.cli import set_plan

    settings = _settings()
    _migrate(settings)
    try:
        asyncio.run(set_plan(settings, console, organization, plan))
    except ProblemError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def openapi(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted.")] = None,
) -> None:
    """Print the OpenAPI schema (the web app's typed client is generated from it)."""
    from binelek.app import create_app

    # Schema generation needs no data dir and no real secrets.
    settings = Settings(
        jobs_enabled=False, jwt_secret="openapi" * 8, encryption_key=Fernet.generate_key().decode()
    )
    document = json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(document)
    else:
        sys.stdout.write(document)


@app.command()
def mcp(
    jobs: Annotated[
        bool, typer.Option(help="Also run background jobs here (only when no serve/worker process does).")
    ] = False,
) -> None:
    """Serve MCP (Model Context Protocol) on stdin/stdout for a desktop client; the tenant API key
    comes from BINELEK_API_KEY. Over HTTP the same server is at /mcp of `binelek serve`."""
    import os

    from binelek.kit.logging import configure_logging
    from binelek.mcp_server import stdio

    api_key = os.environ.get("BINELEK_API_KEY", "").strip()
    if not api_key:
        console.print("[red]Set BINELEK_API_KEY to a tenant API key (bnk_…).[/red]")
        raise typer.Exit(2)
    settings = _settings()
    if not jobs:
        settings.jobs_enabled = False
    configure_logging(settings.log_level, json=settings.log_json)  # to stderr: stdout is the protocol
    raise typer.Exit(asyncio.run(stdio.serve(settings, api_key)))
