"""A form sent twice changes nothing twice: each form that changes money or orders carries a
key made when the page was shown (a hidden input); the change and the page it answered with
are stored under that key in one transaction (the API's idempotency store), so the same form
sent again (a double click, a reload that posts again, a retry after a lost answer) is
answered with the same page and writes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import IntegrityError

from acsa.adapters.db import idempotency
from acsa.adapters.db.idempotency import Answer, IdempotencyStore
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.access import Permission
from acsa.domain.errors import AcsaError
from acsa.web.session import CSRF_FIELD, Visitor

#: The hidden input that carries a form's key.
FORM_KEY_FIELD = "form_key"


def new_form_key() -> str:
    """A key for one form as it is shown (templates call it once per form)."""
    return uuid.uuid4().hex


@dataclass
class SentForm:
    """One post of a form: its key (None when the form carried none), and the held unit of
    work its change runs in, committed with the key by :meth:`done`."""

    who: Visitor
    keyed: idempotency.Request | None
    store: IdempotencyStore
    _held: UnitOfWork | None = None

    @classmethod
    def of(
        cls, request: Request, who: Visitor, key: str | None, values: Mapping[str, Any]
    ) -> SentForm:
        """The form posted to ``request`` by ``who`` with ``values`` (what was typed: the
        digest that tells the same form sent again from another one under the same key)."""
        store = IdempotencyStore(who.engine)
        checked = idempotency.checked_key(key or None, FORM_KEY_FIELD)
        if checked is None:
            return cls(who, None, store)
        typed = {k: v for k, v in values.items() if k not in (CSRF_FIELD, FORM_KEY_FIELD)}
        body = json.dumps(typed, sort_keys=True, ensure_ascii=False, default=str).encode()
        url = request.url
        keyed = idempotency.Request(
            principal=who.principal.name,
            key=checked,
            method=request.method,
            path=url.path,
            fingerprint=idempotency.fingerprint(request.method, url.path, url.query, [body]),
        )
        return cls(who, keyed, store)

    def replayed(self) -> RedirectResponse | None:
        """The page this form answered with when it was sent before (None: not sent yet).
        The key of another form is IDEMPOTENCY_KEY_REUSED."""
        if self.keyed is None:
            return None
        answer = self.store.answered(self.keyed, FORM_KEY_FIELD)
        if answer is None:
            return None
        return RedirectResponse(answer.headers["location"], status_code=answer.status_code)

    def raced(self) -> RedirectResponse | None:
        """After a refusal: the answer of this same form when another post of it committed
        meanwhile (a double click; the state then refuses the second), else None."""
        try:
            return self.replayed()
        except AcsaError:
            return None

    def writer(self, permission: Permission, expected_version: int | None = None) -> UnitOfWork:
        """The visitor's unit of work for the form's one change, held open until :meth:`done`."""
        assert self._held is None, "a form makes one change"
        self._held = self.who.writer(permission, expected_version, hold=self.keyed is not None)
        return self._held

    def commit(self, location: str) -> RedirectResponse | None:
        """Commit the change with its key and ``location``, the page it answers with; None
        once done. When the same form committed meanwhile (a second post racing the first),
        nothing of this one is kept and the answer is the first one's."""
        answer = Answer(303, "", {"location": location})
        try:
            if self.keyed is not None and self._held is not None:
                self.store.remember(self._held, self.keyed, answer)
                self._held.finish()
        except IntegrityError:
            replay = self.replayed()
            if replay is None:
                raise
            return replay
        finally:
            self.close()
        return None

    def close(self) -> None:
        """Roll back and free what was not committed (a refusal, or an error)."""
        held, self._held = self._held, None
        if held is not None:
            held.close()
