"""/api/v1/users: an admin manages the people of their own nation. Users of other nations
answer 404 USER_NOT_FOUND, as if they did not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import Field

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import Ctx, CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain.access import ForbiddenError, Permission, parse_roles, require_role_grant
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.sign_in import CountedBy
from acsa.schemas.accounts import ProfileIn, UnlockOut, UserIn, UserOut
from acsa.schemas.orders import Strict
from acsa.services import users as service

router = APIRouter(prefix="/api/v1/users", tags=["users"])

#: The audit log names a user as ``user:NAME`` in a column of 200 characters.
MAX_NAME = 190
UserName = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]


class UserUpdateIn(Strict):
    """``acsa users update NAME``: only what is given changes."""

    roles: list[str] | None = Field(default=None, min_length=1, max_length=20)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    active: bool | None = None
    language: str | None = Field(default=None, min_length=1, max_length=8)


def _user_not_found(name: str) -> NotFoundError:
    return NotFoundError(
        [Violation(Code.USER_NOT_FOUND, "user", "no user {user}", params={"user": repr(name)})]
    )


def _held(ctx: Ctx) -> UnitOfWork:
    return UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)


@router.get("", response_model=list[UserOut], responses=problem_responses(401, 403))
def list_users(ctx: CtxDep) -> list[UserOut]:
    """The users of your nation, by name (admin)."""
    ctx.need(Permission.MANAGE_USERS)
    return service.list_users(ctx.reader(), ctx.nation)


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(400, 401, 403, 409, 422, 503),
)
def add_user(ctx: CtxDep, doc: UserIn, body: RawBody) -> Response:
    """Add a user of your nation with one or more roles (admin); a password lets them sign
    in to the web pages, else they use tokens. A name that is taken is refused (409)."""
    ctx.need(Permission.MANAGE_USERS)
    if doc.nation.strip().upper() != ctx.nation:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            "an admin of {nation} adds users of {nation} only, not of {other}",
            nation=ctx.nation,
            other=doc.nation,
        )
    if len(doc.name) > MAX_NAME or not doc.name.isprintable() or doc.name != doc.name.strip():
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "name",
            "a user name is 1 to {most} printable characters, without spaces around it",
            most=MAX_NAME,
        )
    require_role_grant(ctx.principal, frozenset(), parse_roles(doc.roles))
    data = doc.model_dump()
    actor = ctx.principal.name
    return ctx.write(_held(ctx), body, lambda uow: service.add_user(uow, data, actor), 201)


@router.post(
    "/{name}",
    response_model=UserOut,
    responses=problem_responses(400, 401, 403, 404, 422, 503),
)
def update_user(ctx: CtxDep, name: UserName, doc: UserUpdateIn, body: RawBody) -> Response:
    """Change a user's roles, password, language, or switch them off (admin of the user's
    nation); users are never deleted: the audit log names them."""
    ctx.need(Permission.MANAGE_USERS)
    actor = ctx.principal.name

    def change(uow: UnitOfWork) -> UserOut:
        user = service.get_user(uow, name)
        if user.nation != ctx.nation:
            raise _user_not_found(name)
        before = parse_roles(user.roles)
        after = parse_roles(doc.roles) if doc.roles is not None else before
        require_role_grant(ctx.principal, before, after)
        return service.update_user(
            uow, name, actor, doc.password, doc.roles, doc.active, doc.language
        )

    return ctx.write(_held(ctx), body, change)


@router.patch(
    "/{name}/profile",
    response_model=UserOut,
    responses=problem_responses(400, 401, 403, 404, 422, 503),
)
def update_profile(ctx: CtxDep, name: UserName, doc: ProfileIn, body: RawBody) -> Response:
    """Change a user's full name, rank or grade, position and unit (admin of the user's
    nation, or the user themself; for yourself, ``PATCH /api/v1/profile``)."""
    actor = ctx.principal.name
    if name != actor:
        ctx.need(Permission.MANAGE_USERS)
    given = doc.model_dump(exclude_unset=True)

    def change(uow: UnitOfWork) -> UserOut:
        if service.get_user(uow, name).nation != ctx.nation:
            raise _user_not_found(name)
        return service.update_profile(uow, name, given, actor)

    return ctx.write(_held(ctx), body, change)


@router.post(
    "/{name}/unlock",
    response_model=UnlockOut,
    responses=problem_responses(400, 401, 403, 404, 422),
)
def unlock(ctx: CtxDep, name: UserName, body: RawBody) -> Response:
    """Lift a user's sign-in lock and forget their failed sign-ins (admin of the user's
    nation); ``was_locked`` says whether there was a lock."""
    ctx.need(Permission.MANAGE_USERS)
    actor = ctx.principal.name

    def lift(uow: UnitOfWork) -> UnlockOut:
        if service.get_user(uow, name).nation != ctx.nation:
            raise _user_not_found(name)
        return service.unlock(uow, CountedBy.ACCOUNT, name, actor)

    return ctx.write(_held(ctx), body, lift)
