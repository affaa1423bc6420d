"""The ``erpsync`` command: serve, demo-erp, sync, db upgrade."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.bootstrap import build_services, demo_erp_config
from erpsync.domain.types import SyncMode, SyncType
from erpsync.errors import ConfigurationError
from erpsync.services.events import Event
from erpsync.settings import Settings, load_settings

app = typer.Typer(help="erpsync keeps a sales-agent order app supplied with fresh ERP data.")
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        console.print(f"[red]erpsync: {exc}[/red]")
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@app.command()
def serve() -> None:
    """Serve the app (and, with no ERP_URL set, the embedded demo ERP)."""
    from erpsync.web.app import create_app

    settings = _settings()
    _logging(settings)
    console.print(f"erpsync on http://{settings.host}:{settings.port}")
    if settings.embedded_demo_erp:
        console.print(f"demo ERP on {settings.effective_erp_url} ({settings.demo_erp_profile})")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        log_level=settings.log_level.lower(),
    )


@app.command("demo-erp")
def demo_erp(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
) -> None:
    """Serve the demo ERP alone."""
    from erpsync.demo_erp import run_demo_erp

    settings = _settings()
    _logging(settings)
    run_demo_erp(
        host or settings.demo_erp_host, port or settings.demo_erp_port, demo_erp_config(settings)
    )


@app.command()
def sync(
    type: Annotated[str, typer.Argument(help="orders, customers, ddt, invoices, prices, products")],
    full: Annotated[bool, typer.Option("--full", help="full sync (also finds deletions)")] = False,
) -> None:
    """Run one sync now, through the orchestrator, with a progress bar."""
    settings = _settings()
    try:
        sync_type = SyncType.parse(type)
    except LookupError as exc:
        console.print(f"[red]erpsync: {exc}[/red]")
        raise typer.Exit(2) from None
    _logging(settings)
    mode = SyncMode.FULL if full else SyncMode.INCREMENTAL
    ok = asyncio.run(_sync_once(settings, sync_type, mode))
    raise typer.Exit(0 if ok else 1)


async def _sync_once(settings: Settings, type: SyncType, mode: SyncMode) -> bool:
    async with AsyncExitStack() as stack:
        services = await build_services(
            settings.model_copy(update={"scheduler": False, "demo_erp_ticker_s": None}),
            stack,
            start_orchestrator=False,
        )
        outcome: list[Event] = []
        with Progress(
            TextColumn(f"{type.value}"),
            BarColumn(),
            TextColumn("{task.fields[records]} records, {task.completed} pages"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(type.value, total=None, records=0)
            async with services.events.subscribe() as queue:
                services.orchestrator.request(type, mode, trigger="cli")
                drain = asyncio.create_task(services.orchestrator.run_until_idle())
                while not drain.done() or not queue.empty():
                    get = asyncio.create_task(queue.get())
                    await asyncio.wait({get, drain}, return_when=asyncio.FIRST_COMPLETED)
                    if not get.done():
                        get.cancel()
                        continue
                    event = get.result()
                    if event.action == "sync_progress":
                        progress.update(
                            task, completed=event.fields["pages"], records=event.fields["fetched"]
                        )
                    elif event.action in ("sync_completed", "sync_failed"):
                        outcome.append(event)
        for event in outcome:
            console.print(
                f"{event.action}: " + ", ".join(f"{k}={v}" for k, v in event.fields.items())
            )
        return bool(outcome) and outcome[-1].action == "sync_completed"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    settings = _settings()
    engine = build_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    console.print("database is up to date")


def main() -> None:
    app()
