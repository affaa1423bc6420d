"""The installable app: the worker's version follows the app's files, its script lists the
shell to cache, and the manifest points at icons that exist."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi import FastAPI

from erpsync.web.pages import Pages
from erpsync.web.routers import app_shell
from erpsync.web.translations import Catalogues


async def get(path: str) -> httpx.Response:
    app = FastAPI()
    app.state.pages = Pages(Catalogues())
    app.include_router(app_shell.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://erpsync") as client:
        return await client.get(path)


def test_the_version_is_a_digest_of_the_files_and_the_shell_lists_every_static_file() -> None:
    version, assets = app_shell.shell()
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    static = sorted(
        f"/static/{p.relative_to(app_shell.STATIC).as_posix()}"
        for p in app_shell.STATIC.rglob("*")
        if p.is_file()
    )
    assert list(assets) == static
    assert {"/static/order_form.js", "/static/device.js", "/static/app.css"} <= set(assets)


async def test_the_worker_names_its_version_its_shell_and_the_pages_that_open_offline() -> None:
    answer = await get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache", "an upgrade is seen at once"
    version, _ = app_shell.shell()
    body = answer.text
    assert f'const VERSION = "{version}";' in body
    assert '"/static/order_form.js"' in body
    assert 'const OFFLINE_PAGES = ["/orders/new", "/drafts"];' in body
    assert "{{" not in body


async def test_the_manifest_speaks_the_pages_language_and_its_icons_exist() -> None:
    italian = await get("/manifest.webmanifest")
    assert italian.headers["content-type"].startswith("application/manifest+json")
    manifest = italian.json()
    assert (manifest["lang"], manifest["start_url"], manifest["display"]) == (
        "it",
        "/orders/new",
        "standalone",
    )
    assert (await get("/manifest.webmanifest?lang=en")).json()["lang"] == "en"
    for icon in manifest["icons"]:
        path = app_shell.STATIC / Path(icon["src"]).relative_to("/static")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(path.read_bytes()[16:20], "big")
        assert icon["sizes"] == f"{width}x{width}"
