"""The installable app: its manifest and its service worker (see ``templates/sw.js``).

The worker's version is a digest of everything the pages are made of (scripts, styles,
templates, catalogues), so a new release of the app is a new worker, which replaces the
cached shell cleanly; both answers carry no user data and need no sign-in.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from erpsync.web.pages import Pages

router = APIRouter(include_in_schema=False)

WEB = Path(__file__).resolve().parents[1]
STATIC = WEB / "static"
#: The pages that open without signal after one visit online.
OFFLINE_PAGES = ("/orders/new", "/drafts")
MANIFEST_TYPE = "application/manifest+json"


@cache
def shell() -> tuple[str, tuple[str, ...]]:
    """The app's version and the static files its pages load."""
    digest = hashlib.sha256()
    assets = []
    for folder in (STATIC, WEB / "templates", WEB / "i18n"):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(WEB).as_posix().encode())
            digest.update(path.read_bytes())
            if folder == STATIC:
                assets.append(f"/static/{path.relative_to(STATIC).as_posix()}")
    return digest.hexdigest()[:16], tuple(assets)


@router.get("/sw.js")
def service_worker(request: Request) -> Response:
    version, assets = shell()
    pages: Pages = request.app.state.pages
    body = pages.text("sw.js", version=version, assets=list(assets), pages=list(OFFLINE_PAGES))
    return Response(
        body,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def manifest(language: str) -> dict[str, Any]:
    return {
        "name": "erpsync · ordini",
        "short_name": "erpsync",
        "description": "Ordini, clienti e bozze anche senza rete"
        if language == "it"
        else "Orders, customers and drafts, also without signal",
        "lang": language,
        "start_url": "/orders/new",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f7fa",
        "theme_color": "#1d2733",
        "icons": [
            {"src": f"/static/icons/icon-{n}.png", "sizes": f"{n}x{n}", "type": "image/png"}
            for n in (192, 512)
        ],
    }


@router.get("/manifest.webmanifest")
def web_manifest(request: Request) -> Response:
    pages: Pages = request.app.state.pages
    language = pages.language(request)
    return JSONResponse(manifest(language), media_type=MANIFEST_TYPE)
