"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from erpsync.bootstrap import Services
from erpsync.services.orchestrator import Orchestrator


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_orchestrator(request: Request) -> Orchestrator:
    return get_services(request).orchestrator


ServicesDep = Annotated[Services, Depends(get_services)]
OrchestratorDep = Annotated[Orchestrator, Depends(get_orchestrator)]
