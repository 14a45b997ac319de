"""/api/v1: who am I, my tokens, and a trivial endpoint (the framework's own ceiling)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.context import CtxDep
from acsa.api.problems import problem_responses
from acsa.api.routers.orders import RawBody
from acsa.domain.access import Permission, Role
from acsa.domain.limits import SIGN_IN_ADDRESS_CHARS_MAX
from acsa.domain.sign_in import CountedBy
from acsa.schemas.accounts import (
    ProfileIn,
    SignInLockOut,
    TokenIn,
    TokenIssuedOut,
    TokenOut,
    UnlockOut,
    UserOut,
    WhoAmIOut,
)
from acsa.services import users

router = APIRouter(prefix="/api/v1", tags=["system"])


@router.get("/ping")
def ping() -> dict[str, str]:
    """``{"status": "ok"}`` without touching the database: what the framework alone costs."""
    return {"status": "ok"}


@router.get("/whoami", response_model=WhoAmIOut, responses=problem_responses(401))
def whoami(ctx: CtxDep) -> WhoAmIOut:
    """The signed-in person: name, nation, roles."""
    user = users.get_user(UnitOfWork(ctx.engine, read_only=True), ctx.principal.name)
    return WhoAmIOut(name=user.name, nation=user.nation, roles=user.roles, language=user.language)


@router.get("/profile", response_model=UserOut, responses=problem_responses(401))
def my_profile(ctx: CtxDep) -> UserOut:
    """Your account: nation, roles, language and profile (full name, rank or grade, position,
    unit), as the order form prints it beside your signature."""
    return users.get_user(UnitOfWork(ctx.engine, read_only=True), ctx.principal.name)


@router.patch(
    "/profile",
    response_model=UserOut,
    responses=problem_responses(400, 401, 404, 422, 503),
)
def update_my_profile(ctx: CtxDep, doc: ProfileIn, body: RawBody) -> Response:
    """Change your own full name, rank or grade, position and unit: what the order form
    prints beside your signature. Only what is given changes; an empty text clears a field;
    a text past its bound is INVALID_FIELD naming the field."""
    actor = ctx.principal.name
    given = doc.model_dump(exclude_unset=True)
    held = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    return ctx.write(held, body, lambda uow: users.update_profile(uow, actor, given, actor))


@router.get("/tokens", response_model=list[TokenOut], responses=problem_responses(401))
def my_tokens(ctx: CtxDep) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    return users.list_tokens(UnitOfWork(ctx.engine, read_only=True), ctx.principal.name)


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenIssuedOut,
    responses=problem_responses(400, 401, 403, 422),
)
def new_token(ctx: CtxDep, doc: TokenIn, body: RawBody) -> Response:
    """A new token for yourself; the secret is in this response only. It lives
    ``expires_days`` (1 to ACSA_TOKEN_MAX_DAYS, default 90); only an admin makes one that
    never expires, asking with ``never_expires`` (403 otherwise)."""
    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    name = ctx.principal.name
    admin = Role.ADMIN in ctx.principal.roles
    return ctx.write(
        uow,
        body,
        lambda u: users.issue_token(
            u,
            name,
            doc.name,
            doc.expires_days,
            actor=name,
            never_expires=doc.never_expires,
            may_choose_never=admin,
        ),
        201,
    )


@router.post(
    "/tokens/{token_id}/revoke",
    response_model=TokenOut,
    responses=problem_responses(400, 401, 404),
)
def revoke(
    ctx: CtxDep, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: RawBody
) -> Response:
    """Revoke one of your tokens at once."""
    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    name = ctx.principal.name
    return ctx.write(uow, body, lambda u: users.revoke_token(u, token_id, actor=name, owner=name))


Address = Annotated[str, Path(pattern=rf"^[^\x00-\x1f\x7f]{{1,{SIGN_IN_ADDRESS_CHARS_MAX}}}$")]


@router.get(
    "/sign-in/locks", response_model=list[SignInLockOut], responses=problem_responses(401, 403)
)
def sign_in_locks(ctx: CtxDep) -> list[SignInLockOut]:
    """Locked client addresses, and locked user names of your nation's users (admin)."""
    ctx.need(Permission.MANAGE_USERS)
    reader = UnitOfWork(ctx.engine, read_only=True)
    mine = {u.name for u in users.list_users(reader, ctx.nation)}
    return [
        lock
        for lock in users.sign_in_locks(reader)
        if lock.kind == CountedBy.ADDRESS.value or lock.key in mine
    ]


@router.post(
    "/sign-in/addresses/{address}/unlock",
    response_model=UnlockOut,
    responses=problem_responses(400, 401, 403, 422),
)
def unlock_address(ctx: CtxDep, address: Address, body: RawBody) -> Response:
    """Lift the sign-in lock of a client address and forget its failures (admin)."""
    ctx.need(Permission.MANAGE_USERS)
    uow = UnitOfWork(ctx.engine, principal=ctx.principal, hold=True)
    actor = ctx.principal.name
    return ctx.write(uow, body, lambda u: users.unlock(u, CountedBy.ADDRESS, address, actor))
