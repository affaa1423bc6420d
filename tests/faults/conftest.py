"""A database prepared once with the users, and for each test its own ERP and service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.faults.checks import StatusLog
from tests.faults.site import FaultSite, OpenSite, Template, deployment, make_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("faults-template"))


@pytest.fixture
def open_site(template: Template, tmp_path: Path) -> Iterator[OpenSite]:
    """Start the test's deployment with settings of its own (``open_site(max_run_time_s="3")``)."""
    with ExitStack() as stack:
        opened: list[FaultSite] = []

        def open_one(**changes: str) -> FaultSite:
            root = tmp_path / f"site-{len(opened) + 1}"
            root.mkdir()
            opened.append(stack.enter_context(deployment(template, root, **changes)))
            return opened[-1]

        yield open_one


@pytest.fixture
def site(open_site: OpenSite) -> FaultSite:
    """The test's deployment with the settings every fault test shares."""
    return open_site()


@pytest.fixture
def log(site: FaultSite) -> StatusLog:
    return StatusLog(site.admin)
