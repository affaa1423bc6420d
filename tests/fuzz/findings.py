"""Every distinct failure of a fuzz run, not only the first.

Hypothesis stops exploring an operation at its first failing example, and on this API the first
failure is nearly always an undocumented status code, which would hide a 500 or a refused valid
request behind it. So each example's failures are recorded here instead of raised; the pytest
item fails afterwards with all of them (see ``conftest.pytest_runtest_call``), and the terminal
summary groups them across databases and users.

Two failures are the same when the operation, the status and what went wrong agree: the error
text with its values taken out (one finding per problem a 422 lists), the exception behind a
500, or what an accepted negative request broke. The checks they failed are merged, and of
each the shortest request is kept as the example.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup

MAX_BODY = 300
MAX_REQUEST = 700


Key = tuple[str, int, str]


@dataclass
class Finding:
    """One kind of answer that failed checks: an operation, a status and what the body said."""

    operation: str
    status: int
    error: str
    checks: set[str]
    request: str
    response: str
    seen: int = 1
    where: set[str] = field(default_factory=set)

    @property
    def key(self) -> Key:
        return (self.operation, self.status, self.error)

    def merge(self, other: Finding) -> None:
        self.seen += other.seen
        self.checks |= other.checks
        self.where |= other.where
        if len(other.request) < len(self.request):
            self.request, self.response = other.request, other.response


def _shape(text: str, path_values: list[str]) -> str:
    """The error text without the values it quotes, so one cause gives one key."""
    for value in path_values:
        if len(value) > 1:
            text = text.replace(value, "{…}")
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", text)
    text = re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "N", text)
    return text[:200]


def _response_errors(body: bytes, path_values: list[str]) -> list[str]:
    """What the error body says, one entry per distinct problem it lists."""
    try:
        data = json.loads(body)
    except ValueError:
        return [body[:80].decode("utf-8", "replace")]
    if isinstance(data, dict) and data.get("problems"):
        problems = {
            f"{_shape(str(p.get('field')), [])}: {_shape(str(p.get('message')), path_values)}"
            for p in data["problems"]
        }
        return sorted(problems)
    if isinstance(data, dict) and "error" in data:
        return [_shape(str(data["error"]), path_values)]
    return [""]


def _invalid_component(message: str) -> str:
    """What a negative case broke, as schemathesis words it ("Invalid component: …")."""
    lines = message.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("Invalid component:"):
            rest = [x.strip() for x in lines[n + 1 :] if x.startswith("  ")]
            return " ".join([line.removeprefix("Invalid component:").strip(), *rest]).strip()
    return ""


def describe_request(case: Any, auth: str) -> str:
    parts = [f"{case.method.upper()} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={json.dumps(case.query, ensure_ascii=True, default=str)}")
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    if headers:
        parts.append(f"headers={json.dumps(headers, ensure_ascii=True, default=str)}")
    if case.media_type and case.media_type != "application/json":
        parts.append(f"content-type={case.media_type}")
    if case.body is not None and case.body is not NOT_SET:
        parts.append(f"body={json.dumps(case.body, ensure_ascii=True, default=str)}")
    elif case.method.upper() in ("POST", "PUT"):
        parts.append("(no body)")
    parts.append(f"as {auth}")
    return " ".join(parts)


def describe_response(response: Any) -> str:
    body = response.content[:MAX_BODY].decode("utf-8", "replace")
    return f"{response.status_code} {body}"


class Findings:
    """The findings of each pytest item, and of the whole run."""

    def __init__(self) -> None:
        self._current: dict[Key, Finding] | None = None
        self.by_item: dict[str, list[Finding]] = {}
        self.requests = 0

    @contextmanager
    def collecting(self, nodeid: str) -> Iterator[dict[Key, Finding]]:
        self._current = {}
        try:
            yield self._current
        finally:
            if self._current:
                self.by_item[nodeid] = list(self._current.values())
            self._current = None

    def record(
        self,
        group: FailureGroup,
        case: Any,
        response: Any,
        *,
        where: str,
        auth: str,
        crash: str | None = None,
    ) -> None:
        """Keep the failures of one request; ``crash``: the exception behind a 500."""
        assert self._current is not None, "findings are recorded inside a collecting() block"
        request = describe_request(case, auth)
        path_values = [str(v) for v in (case.path_parameters or {}).values()]
        errors = _response_errors(response.content, path_values)
        checks = {failure.title or type(failure).__name__ for failure in group.exceptions}
        details = [_invalid_component(failure.message) for failure in group.exceptions]
        detail = "; ".join(d for d in details if d)
        if detail and response.status_code < 400:
            # an accepted negative case: what was wrong with it tells the findings apart
            errors = [f"accepted: {_shape(detail, path_values)}"]
        if crash:
            errors = [f"server: {crash}"]
        for error in errors:
            finding = Finding(
                operation=f"{case.method.upper()} {case.path}",
                status=response.status_code,
                error=error,
                checks=set(checks),
                request=request,
                response=describe_response(response),
                where={where},
            )
            known = self._current.get(finding.key)
            if known is None:
                self._current[finding.key] = finding
            else:
                known.merge(finding)

    def grouped(self) -> list[Finding]:
        """All findings of the run, one per key, with where each was seen."""
        merged: dict[Key, Finding] = {}
        for findings in self.by_item.values():
            for finding in findings:
                known = merged.get(finding.key)
                if known is None:
                    merged[finding.key] = replace(
                        finding, checks=set(finding.checks), where=set(finding.where)
                    )
                else:
                    known.merge(finding)
        return sorted(merged.values(), key=lambda f: (f.operation, f.status, f.error))


def format_findings(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(
            f"- {f.operation} -> {f.status} [{'; '.join(sorted(f.checks))}]"
            f" ({f.seen}x, {', '.join(sorted(f.where))})"
        )
        if f.error:
            lines.append(f"    error:    {f.error}")
        request = f.request if len(f.request) <= MAX_REQUEST else f.request[:MAX_REQUEST] + " …"
        lines.append(f"    request:  {request}")
        lines.append(f"    response: {f.response}")
    return "\n".join(lines)


FINDINGS = Findings()
