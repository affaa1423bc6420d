"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from erpsync.bootstrap import Services
from erpsync.domain.users import User
from erpsync.errors import ForbiddenError
from erpsync.services.accounts import Accounts
from erpsync.services.control import Control
from erpsync.services.drafts import DraftService
from erpsync.services.order_data import OrderFormData
from erpsync.services.status import StatusService
from erpsync.services.submissions import SubmissionService


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_control(request: Request) -> Control:
    """The orchestrator in charge: in this process, or reached through the database."""
    return get_services(request).node.control


def get_status(request: Request) -> StatusService:
    return get_services(request).status


def get_accounts(request: Request) -> Accounts:
    return get_services(request).accounts


def get_drafts(request: Request) -> DraftService:
    return get_services(request).drafts


def get_order_data(request: Request) -> OrderFormData:
    return get_services(request).order_data


def get_submissions(request: Request) -> SubmissionService:
    return get_services(request).submissions


def current_user(request: Request) -> User:
    """The signed-in user the auth gate found; 401 if there is none."""
    user: User | None = getattr(request.state, "user", None)
    if user is None:
        raise HTTPException(401, "sign-in required")
    return user


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
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
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]
