"""Rendering pages: Jinja2 templates with the request's language and strict security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from erpsync.web.formatting import format_day, format_money
from erpsync.web.translations import LANGUAGE_COOKIE, Catalogue, Catalogues

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

#: Pages load only their own scripts and styles; nothing may frame them.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Pages:
    def __init__(self, catalogues: Catalogues) -> None:
        self.catalogues = catalogues
        self._templates = Jinja2Templates(directory=TEMPLATES)

    def text(self, template: str, **context: Any) -> str:
        """A template rendered as plain text (the service worker's script)."""
        return self._templates.env.get_template(template).render(**context)

    def language(self, request: Request) -> str:
        return self.catalogues.choose(
            request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)
        )

    def catalogue(self, request: Request) -> Catalogue:
        return self.catalogues.get(self.language(request))

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> Response:
        catalogue = self.catalogue(request)
        page_context = {
            "t": catalogue.t,
            "plural": catalogue.plural,
            "lang": catalogue.language,
            "languages": self.catalogues.languages,
            "messages": dict(catalogue.messages),
            "user": getattr(request.state, "user", None),
            "path": request.url.path,
            "money": lambda amount: format_money(amount, catalogue.language),
            "day": format_day,
            **(context or {}),
        }
        response = self._templates.TemplateResponse(
            request, template, page_context, status_code=status_code, headers=PAGE_HEADERS
        )
        if request.query_params.get("lang") == catalogue.language:
            response.set_cookie(
                LANGUAGE_COOKIE,
                catalogue.language,
                max_age=LANGUAGE_COOKIE_AGE,
                httponly=True,
                samesite="lax",
            )
        return response


async def get_pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]
