"""The idempotency store: what a person's request with a key answered, kept with the change it
made, so that the same request sent again changes nothing twice and gets the same answer.

One store serves the API (the ``Idempotency-Key`` header) and the pages (a key each form
carries, made when it was shown). A key is the person's own: (principal, key) is unique. The
answer is stored by the unit of work that makes the change, just before it commits, so the
change and its key commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection, Engine, insert, select

from acsa.adapters.db import tables as t
from acsa.clock import utc_now
from acsa.domain.errors import AcsaError, Code

#: The longest key a client may send.
MAX_KEY_LENGTH = 200


class Committing(Protocol):
    """A unit of work that runs a step inside its transaction just before it commits."""

    def before_commit(self, step: Callable[[Connection], None], /) -> None: ...


@dataclass(frozen=True, slots=True)
class Request:
    """What identifies one request sent with a key: who sent it, the key, and a digest of
    what was asked (method, path, query, body), so the key cannot be reused for another."""

    principal: str
    key: str
    method: str
    path: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What a request answered: its status, body and the headers a replay repeats."""

    status_code: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def checked_key(raw: str | None, field_name: str) -> str | None:
    """``raw`` as a key (stripped), None when none was sent; INVALID_INPUT on ``field_name``
    when it is blank, too long or not printable."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise AcsaError.single(
            Code.INVALID_INPUT,
            field_name,
            "{name} must be 1 to {most} printable characters",
            name=field_name,
            most=MAX_KEY_LENGTH,
        )
    return key


def fingerprint(method: str, path: str, query: str, parts: Iterable[bytes]) -> str:
    """A digest of a request's method, path, query and body parts."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(part + b"\0")
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


class IdempotencyStore:
    """Finds the answer stored for a request's key, and stores one with a change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def answered(self, request: Request, field_name: str) -> Answer | None:
        """The answer stored for ``request``'s key, or None when the key is new. The key sent
        with another request is IDEMPOTENCY_KEY_REUSED (on ``field_name``)."""
        k = t.idempotency_keys
        query = select(k).where(k.c.principal == request.principal, k.c.key == request.key)
        # Its own read-only connection: the key may have been committed by another request
        # (the original, racing this retry) after this request's transaction began.
        with self.engine.connect().execution_options(acsa_read_only=True) as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        if row.fingerprint != request.fingerprint:
            raise AcsaError.single(
                Code.IDEMPOTENCY_KEY_REUSED,
                field_name,
                "key {key} was used for another request ({method} {path}, other body); use a "
                "new key for a new request",
                key=repr(request.key),
                method=row.method,
                path=row.path,
            )

        stored = json.loads(row.response)
        return Answer(int(row.status_code), str(stored["body"]), dict(stored["headers"]))

    def remember(self, uow: Committing, request: Request, answer: Answer) -> None:
        """Store ``answer`` for ``request`` in ``uow``'s transaction, as it commits. A second
        commit of the same key fails on its uniqueness (an IntegrityError): nothing twice."""

        def store(conn: Connection) -> None:
            conn.execute(
                insert(t.idempotency_keys).values(
                    principal=request.principal,
                    key=request.key,
                    method=request.method,
                    path=request.path[:500],
                    fingerprint=request.fingerprint,
                    created_at=utc_now(),
                    status_code=answer.status_code,
                    response=json.dumps({"body": answer.body, "headers": answer.headers}),
                )
            )

        uow.before_commit(store)
