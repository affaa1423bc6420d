"""Answers made ready once and served many times: ETag, 304 and gzip."""

from __future__ import annotations

import gzip

from starlette.requests import Request

from erpsync.web.cacheable import cacheable, cacheable_response


def request(**headers: str) -> Request:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_an_answer_is_compressed_once_and_only_for_a_client_that_takes_it() -> None:
    ready = cacheable(b'{"rows": [1, 2, 3]}' * 100, validated=b"the content")
    plain = cacheable_response(request(), ready, "application/json")
    assert plain.body == ready.body and "content-encoding" not in plain.headers
    held = cacheable_response(
        request(accept_encoding="gzip", if_none_match=f'W/"{ready.digest}-gzip"'),
        ready,
        "application/json",
    )
    assert held.status_code == 304
    assert "gzipped" not in vars(ready), "a 304 or a plain answer compresses nothing"
    zipped = cacheable_response(request(accept_encoding="gzip"), ready, "application/json")
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == ready.body
    assert zipped.headers["etag"] == f'"{ready.digest}-gzip"'
    again = cacheable_response(request(accept_encoding="gzip"), ready, "application/json")
    assert again.body is ready.gzipped is zipped.body
