"""What every API route shares: who is asking, their units of work, and safe writes.

A write runs in one held transaction (see ``UnitOfWork.hold``): the service's change, its
audit record, the response and the Idempotency-Key all commit together, or none of them. A
retry with the same key and body replays the stored response; with another body it is a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from acsa.adapters.db import idempotency
from acsa.adapters.db.idempotency import Answer, IdempotencyStore
from acsa.adapters.db.unit_of_work import OrderGuard, UnitOfWork
from acsa.domain.access import Permission, Principal, UnauthenticatedError, require_permission
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.services.access import order_guard
from acsa.services.users import principal_for_token

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = idempotency.MAX_KEY_LENGTH

_bearer = HTTPBearer(auto_error=False, description="A personal API token (`acsa tokens new`).")


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise UnauthenticatedError(
            [
                Violation(
                    Code.UNAUTHENTICATED,
                    "authorization",
                    "send `Authorization: Bearer <token>` (make one with `acsa tokens new`)",
                )
            ]
        )
    return principal_for_token(
        UnitOfWork(engine_of(request), read_only=True), credentials.credentials
    )


def if_match(request: Request) -> int | None:
    """The version an If-Match header names (``"3"``, ``W/"3"`` or ``3``), if any."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or int(value) >= 2**31:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "If-Match",
            "If-Match {value}: give the ETag of the order",
            value=repr(raw),
        )
    return int(value)


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass
class Ctx:
    """The request's engine and principal, with the units of work routes use."""

    request: Request
    engine: Engine
    principal: Principal

    @property
    def nation(self) -> str:
        return self.principal.nation

    def need(self, permission: Permission) -> None:
        require_permission(self.principal, permission)

    def reader(self, permission: Permission = Permission.VIEW) -> UnitOfWork:
        """A read-only unit of work that hides what the principal's nation may not see."""
        guard = order_guard(self.principal, permission)
        return UnitOfWork(self.engine, read_only=True, principal=self.principal, guard=guard)

    def writer(self, permission: Permission, check_version: bool = True) -> UnitOfWork:
        """A held unit of work for one change, guarded by ``permission`` and If-Match."""
        expected = if_match(self.request) if check_version else None
        guard: OrderGuard = order_guard(self.principal, permission, expected)
        return UnitOfWork(self.engine, principal=self.principal, guard=guard, hold=True)

    def write(
        self,
        uow: UnitOfWork,
        body: bytes,
        change: Callable[[UnitOfWork], BaseModel],
        status_code: int = 200,
        headers: Callable[[BaseModel], dict[str, str]] | None = None,
    ) -> Response:
        """Run ``change`` in ``uow`` (a writer) and commit it with its response and key."""
        keyed = self._keyed(body)
        store = IdempotencyStore(self.engine)
        if keyed is not None:
            replay = _replayed(store.answered(keyed, IDEMPOTENCY_HEADER))
            if replay is not None:
                return replay
        try:
            result = change(uow)
            extra = headers(result) if headers else {}
            content = result.model_dump_json()
            if keyed is not None:
                store.remember(uow, keyed, Answer(status_code, content, extra))
            uow.finish()
        except (IntegrityError, AcsaError):
            # The same key may have committed meanwhile (a retry racing its original, which
            # the state then refuses or the key's uniqueness stops): answer as it did.
            uow.close()
            if keyed is None:
                raise
            replay = _replayed(store.answered(keyed, IDEMPOTENCY_HEADER))
            if replay is None:
                raise
            return replay
        finally:
            uow.close()
        return Response(
            content, status_code=status_code, media_type="application/json", headers=extra
        )

    def _keyed(self, body: bytes) -> idempotency.Request | None:
        """This request as the idempotency store knows it, or None when it carries no key."""
        key = idempotency.checked_key(
            self.request.headers.get(IDEMPOTENCY_HEADER), IDEMPOTENCY_HEADER
        )
        if key is None:
            return None
        url = self.request.url
        return idempotency.Request(
            principal=self.principal.name,
            key=key,
            method=self.request.method,
            path=url.path,
            fingerprint=idempotency.fingerprint(self.request.method, url.path, url.query, [body]),
        )


def _replayed(answer: Answer | None) -> Response | None:
    if answer is None:
        return None
    return Response(
        answer.body,
        status_code=answer.status_code,
        media_type="application/json",
        headers={**answer.headers, "Idempotent-Replayed": "true"},
    )


def context(request: Request, principal: Annotated[Principal, Depends(_principal)]) -> Ctx:
    return Ctx(request=request, engine=engine_of(request), principal=principal)


CtxDep = Annotated[Ctx, Depends(context)]
