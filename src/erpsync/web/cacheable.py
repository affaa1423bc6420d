"""Answers a client may keep and revalidate: a strong ETag of the bytes, ``If-None-Match`` →
304, and gzip when the request accepts it.

Only the routes that build their answer through :func:`cacheable_response` are compressed:
no middleware compresses every answer (it would buffer the Server-Sent Events stream).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cached_property

from starlette.requests import Request
from starlette.responses import Response

#: The browser may keep the answer but must ask again before using it; shared caches never.
CACHE_CONTROL = "private, no-cache"
_GZIP_SUFFIX = "-gzip"


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (named, or ``*``, with a q above 0)."""
    allowed: dict[str, bool] = {}
    for part in accept_encoding.split(","):
        token, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        allowed[token.strip().lower()] = q > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def _tags(if_none_match: str) -> set[str]:
    """The entity tags of ``If-None-Match``, compared weakly (RFC 9110 13.1.2) and without
    the content coding's suffix: an answer is the same whichever coding it came in."""
    tags = set()
    for part in if_none_match.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        tags.add(tag.removesuffix(_GZIP_SUFFIX))
    return tags


@dataclass(frozen=True)
class Cacheable:
    """A body made ready once to be served many times: its bytes, its ETag's digest and,
    once a client asks for it, its gzip encoding (hashing and compressing cost more than
    serving it; a 304 needs neither the body nor its encoding)."""

    body: bytes
    digest: str

    @cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.body, compresslevel=6, mtime=0)


def cacheable(body: bytes, *, validated: bytes | None = None) -> Cacheable:
    """``body`` ready to serve; its tag is the digest of ``validated`` (the body without what
    only says when it was served), of ``body`` by default."""
    digest = hashlib.sha256(body if validated is None else validated).hexdigest()[:32]
    return Cacheable(body, digest)


def cacheable_response(request: Request, ready: Cacheable, media_type: str) -> Response:
    """The body with its strong ETag, gzip-encoded when accepted, or 304 when the client
    holds it already."""
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = f'"{ready.digest}{_GZIP_SUFFIX}"' if gzipped else f'"{ready.digest}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    known = _tags(request.headers.get("if-none-match", ""))
    if ready.digest in known or "*" in known:
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(ready.gzipped, media_type=media_type, headers=headers)
    return Response(ready.body, media_type=media_type, headers=headers)
