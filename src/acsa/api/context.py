"""What every API route shares: who is asking, their units of work, and safe writes.

A write runs in one held transaction (see ``UnitOfWork.hold``): the service's change, its
audit record, the response and the Idempotency-Key all commit together, or none of them. A
retry with the same key and body replays the stored response; with another body it is a 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import OrderGuard, UnitOfWork
from acsa.clock import utc_now
from acsa.domain.access import Permission, Principal, UnauthenticatedError, require_permission
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.services.access import order_guard
from acsa.services.users import principal_for_token

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

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
            Code.INVALID_INPUT, "If-Match", f"If-Match {raw!r}: give the ETag of the order"
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
        key = _key(self.request)
        fingerprint = _fingerprint(self.request, body)
        if key is not None:
            replay = self._replay(key, fingerprint)
            if replay is not None:
                return replay
        try:
            result = change(uow)
            extra = headers(result) if headers else {}
            content = result.model_dump_json()
            if key is not None:
                uow.before_commit(
                    _store_key(
                        self.principal.name,
                        key,
                        self.request,
                        fingerprint,
                        status_code,
                        content,
                        extra,
                    )
                )
            uow.finish()
        except (IntegrityError, AcsaError):
            # The same key may have committed meanwhile (a retry racing its original, which
            # the state then refuses or the key's uniqueness stops): answer as it did.
            uow.close()
            replay = self._replay(key, fingerprint) if key is not None else None
            if replay is None:
                raise
            return replay
        finally:
            uow.close()
        return Response(
            content, status_code=status_code, media_type="application/json", headers=extra
        )

    def _replay(self, key: str, fingerprint: str) -> Response | None:
        k = t.idempotency_keys
        query = select(k).where(k.c.principal == self.principal.name, k.c.key == key)
        with self.engine.connect().execution_options(acsa_read_only=True) as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise AcsaError.single(
                Code.IDEMPOTENCY_KEY_REUSED,
                IDEMPOTENCY_HEADER,
                f"key {key!r} was used for another request ({row.method} {row.path}, other "
                "body); use a new key for a new request",
            )
        stored = json.loads(row.response)
        headers = {**stored["headers"], "Idempotent-Replayed": "true"}
        return Response(
            stored["body"],
            status_code=row.status_code,
            media_type="application/json",
            headers=headers,
        )


def _key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise AcsaError.single(
            Code.INVALID_INPUT,
            IDEMPOTENCY_HEADER,
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters",
        )
    return key


def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode()):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _store_key(
    principal: str,
    key: str,
    request: Request,
    fingerprint: str,
    status_code: int,
    content: str,
    headers: dict[str, str],
) -> Callable[[Connection], None]:
    def store(conn: Connection) -> None:
        conn.execute(
            insert(t.idempotency_keys).values(
                principal=principal,
                key=key,
                method=request.method,
                path=request.url.path[:500],
                fingerprint=fingerprint,
                created_at=utc_now(),
                status_code=status_code,
                response=json.dumps({"body": content, "headers": headers}),
            )
        )

    return store


def context(request: Request, principal: Annotated[Principal, Depends(_principal)]) -> Ctx:
    return Ctx(request=request, engine=engine_of(request), principal=principal)


CtxDep = Annotated[Ctx, Depends(context)]
