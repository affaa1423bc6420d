"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from erpsync.bootstrap import Services
from erpsync.domain.users import User
from erpsync.errors import ForbiddenError
from erpsync.services.accounts import Accounts
from erpsync.services.book import AgentBook
from erpsync.services.control import Control
from erpsync.services.drafts import DraftService
from erpsync.services.offline import OfflineSlices
from erpsync.services.order_data import OrderFormData
from erpsync.services.status import StatusService
from erpsync.services.submissions import SubmissionService


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# The dependencies below do no I/O: ``async`` keeps FastAPI from sending each one through
# the worker-thread pool, a hop that costs more than the work.


async def get_services(request: Request) -> Services:
    return services_of(request)


async def get_control(request: Request) -> Control:
    """The orchestrator in charge: in this process, or reached through the database."""
    return services_of(request).node.control


async def get_status(request: Request) -> StatusService:
    return services_of(request).status


async def get_accounts(request: Request) -> Accounts:
    return services_of(request).accounts


async def get_drafts(request: Request) -> DraftService:
    return services_of(request).drafts


async def get_order_data(request: Request) -> OrderFormData:
    return services_of(request).order_data


async def get_submissions(request: Request) -> SubmissionService:
    return services_of(request).submissions


async def get_book(request: Request) -> AgentBook:
    return services_of(request).book


async def get_offline(request: Request) -> OfflineSlices:
    return services_of(request).offline


async def current_user(request: Request) -> User:
    """The signed-in user the auth gate found; 401 if there is none."""
    user: User | None = getattr(request.state, "user", None)
    if user is None:
        raise HTTPException(401, "sign-in required")
    return user


async def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise ForbiddenError("only an admin may do this")
    return user


ServicesDep = Annotated[Services, Depends(get_services)]
ControlDep = Annotated[Control, Depends(get_control)]
StatusDep = Annotated[StatusService, Depends(get_status)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
DraftsDep = Annotated[DraftService, Depends(get_drafts)]
OrderDataDep = Annotated[OrderFormData, Depends(get_order_data)]
SubmissionsDep = Annotated[SubmissionService, Depends(get_submissions)]
BookDep = Annotated[AgentBook, Depends(get_book)]
OfflineDep = Annotated[OfflineSlices, Depends(get_offline)]
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]
