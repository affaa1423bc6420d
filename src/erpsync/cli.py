"""The ``erpsync`` command: serve, demo-erp, sync, db upgrade, users."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.bootstrap import build_services, demo_erp_config
from erpsync.domain.commands import RequestSync
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ConfigurationError, ErpSyncError
from erpsync.logs import configure_logging
from erpsync.services.accounts import Accounts
from erpsync.services.events import Event, EventAction, EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.settings import Settings, load_settings

app = typer.Typer(help="erpsync keeps a sales-agent order app supplied with fresh ERP data.")
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Users who sign in, and API tokens for scripts.")
app.add_typer(users_app, name="users")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        console.print(f"[red]erpsync: {exc}[/red]")
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)


@app.command()
def serve() -> None:
    """Serve the app (and, with no ERP_URL set, the embedded demo ERP)."""
    from erpsync.web.app import create_app

    settings = _settings()
    _logging(settings)
    console.print(f"erpsync on http://{settings.host}:{settings.port}")
    if settings.embedded_demo_erp:
        console.print(f"demo ERP on {settings.effective_erp_url} ({settings.demo_erp_profile})")
    _print_sign_in(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",  # a line per heartbeat is not news
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
    try:
        ok = asyncio.run(_sync_once(settings, sync_type, mode))
    except ErpSyncError as exc:
        console.print(f"[red]erpsync: {exc}[/red]")
        raise typer.Exit(1) from None
    raise typer.Exit(0 if ok else 1)


async def _sync_once(settings: Settings, type: SyncType, mode: SyncMode) -> bool:
    async with AsyncExitStack() as stack:
        services = await build_services(
            settings.model_copy(
                update={"scheduler": False, "hydrate_on_start": False, "demo_erp_ticker_s": None}
            ),
            stack,
            start_orchestrator=False,
        )
        node = services.node
        stack.push_async_callback(node.stop)
        if not await node.campaign():
            answer = await node.remote.handle(RequestSync(type, mode, Trigger.CLI))
            where = f" at position {answer.position}" if answer.position else ""
            console.print(
                f"another erpsync process runs the syncs: {type.value} {answer.outcome.value}"
                f" there{where}; follow it on /sync or GET /api/sync/status"
            )
            return True
        orchestrator = node.orchestrator
        assert orchestrator is not None
        return await _run_with_progress(orchestrator, services.events, type, mode)


async def _run_with_progress(
    orchestrator: Orchestrator, events: EventBus, type: SyncType, mode: SyncMode
) -> bool:
    outcome: list[Event] = []
    with Progress(
        TextColumn(f"{type.value}"),
        BarColumn(),
        TextColumn("{task.fields[records]} records, {task.completed} pages"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(type.value, total=None, records=0)
        async with events.subscribe() as queue:
            await orchestrator.handle(RequestSync(type, mode, Trigger.CLI))
            drain = asyncio.create_task(orchestrator.run_until_idle())
            while not drain.done() or not queue.empty():
                get = asyncio.create_task(queue.get())
                await asyncio.wait({get, drain}, return_when=asyncio.FIRST_COMPLETED)
                if not get.done():
                    get.cancel()
                    continue
                event = get.result()
                if event.action == EventAction.SYNC_PROGRESS:
                    progress.update(
                        task, completed=event.fields["pages"], records=event.fields["fetched"]
                    )
                elif event.action in (EventAction.SYNC_COMPLETED, EventAction.SYNC_FAILED):
                    outcome.append(event)
    for event in outcome:
        console.print(f"{event.action}: " + ", ".join(f"{k}={v}" for k, v in event.fields.items()))
    return bool(outcome) and outcome[-1].action == EventAction.SYNC_COMPLETED


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


def _print_sign_in(settings: Settings) -> None:
    from erpsync.services.accounts import DEMO_USERS

    login = f"http://{settings.host}:{settings.port}/login"
    if not settings.demo_users_enabled:
        console.print(f"sign in at {login} (add a user with: erpsync users add NAME)")
        return
    console.print(f"sign in at {login} with a demo user:")
    for demo in DEMO_USERS:
        who = f"agent {demo.agent_code}" if demo.agent_code else demo.role.value
        console.print(f"  {demo.name} / {demo.password}  ({who})")


@contextmanager
def _accounts(settings: Settings) -> Iterator[Accounts]:
    engine = build_engine(settings.database_url)
    try:
        upgrade(engine)
        yield Accounts(SqlUserStore(engine), Passwords(), SystemClock())
    except ErpSyncError as exc:
        console.print(f"[red]erpsync: {exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="sign-in name (lower case letters, digits, . _ -)")],
    admin: Annotated[bool, typer.Option("--admin", help="may change the schedule")] = False,
    agent_code: Annotated[
        str | None, typer.Option("--agent-code", help="the ERP's agent code, e.g. A01")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help="the password (asked for when not given)", show_default=False),
    ] = None,
) -> None:
    """Add a user: an agent (sees the records carrying their agent code) or an admin."""
    settings = _settings()
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not admin and not agent_code:
        console.print("[yellow]warning: an agent without --agent-code sees no customers[/yellow]")
    with _accounts(settings) as accounts:
        user = accounts.add_user(name, password, admin=admin, agent_code=agent_code)
    console.print(f"added {user.role.value} {user.name}")


@users_app.command("password")
def users_password(
    name: str,
    password: Annotated[str | None, typer.Option(show_default=False)] = None,
) -> None:
    """Set a user's password."""
    settings = _settings()
    if password is None:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with _accounts(settings) as accounts:
        ended = accounts.set_password(name, password)
    console.print(f"password of {name} changed; {ended} sign-in(s) ended")


@users_app.command("token")
def users_token(
    name: str,
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Print a new API token for NAME (send it as 'Authorization: Bearer <token>')."""
    settings = _settings()
    with _accounts(settings) as accounts:
        token = accounts.issue_token(name, label)
    print(token)


@users_app.command("tokens")
def users_tokens(name: str) -> None:
    """List NAME's API tokens (their ids, labels and when they were made; never the tokens)."""
    settings = _settings()
    with _accounts(settings) as accounts:
        for token in accounts.tokens(name):
            print(f"{token.id}\t{token.created_at:%Y-%m-%d %H:%M}\t{token.label or '-'}")


@users_app.command("revoke-token")
def users_revoke_token(
    name: str, token_id: Annotated[str, typer.Argument(help="the id `users tokens` shows")]
) -> None:
    """Revoke one of NAME's API tokens: it stops working at once."""
    settings = _settings()
    with _accounts(settings) as accounts:
        accounts.revoke_token(name, token_id)
    console.print(f"token {token_id} of {name} revoked")


@users_app.command("sign-out")
def users_sign_out(name: str) -> None:
    """End every sign-in of NAME (their browsers must sign in again)."""
    settings = _settings()
    with _accounts(settings) as accounts:
        ended = accounts.sign_out_everywhere(name)
    console.print(f"{ended} sign-in(s) of {name} ended")


@users_app.command("list")
def users_list() -> None:
    """List the users."""
    settings = _settings()
    with _accounts(settings) as accounts:
        for user in accounts.all():
            print(f"{user.name}\t{user.role.value}\t{user.agent_code or '-'}")


def main() -> None:
    app()
