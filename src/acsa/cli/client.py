"""The REST API as the ``acsa`` command uses it with ``--server``: one method per operation,
answering the same Pydantic models the services return, and refusing with the same coded
``AcsaError`` (a problem+json answer becomes the error with the same violations).

Every POST (and PUT) carries a fresh ``Idempotency-Key``; a write (or a GET) that meets a
connection error or a 502/503/504 is sent again, at most twice, with the SAME key, so that the
server does it at most once. A 4xx is never retried: it is the server's answer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from acsa import __version__
from acsa.cli import language
from acsa.commands import Command
from acsa.domain.access import ForbiddenError, UnauthenticatedError, parse_roles
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import t
from acsa.domain.rate_rules import parse_rule
from acsa.i18n import DEFAULT, violation_text
from acsa.schemas.accounts import (
    SignInLockOut,
    TokenIssuedOut,
    TokenOut,
    UnlockOut,
    UserIn,
    UserOut,
    WhoAmIOut,
)
from acsa.schemas.findings import ExceptionOut
from acsa.schemas.ledger import (
    AgingOut,
    InvoiceOut,
    OrderAccountOut,
    OverdueOut,
    PositionOut,
    SettlementOut,
    StatementOut,
    SweepOut,
    VerifyOut,
)
from acsa.schemas.orders import (
    AgreementOut,
    ErrorsOut,
    OrderIn,
    OrderLineIn,
    OrderOut,
    ViolationOut,
    parse_model,
)
from acsa.schemas.rates import OfficialRateOut, RuleOut
from acsa.schemas.reports import AnnualReport
from acsa.schemas.results import ANSWERS
from acsa.services.audit import AuditRecordOut, AuditVerifyOut
from acsa.services.courier import CourierStatusOut, NodeOut
from acsa.services.ledger import currency_code, party_code
from acsa.services.orders import MAX_ORDER_ID, order_not_found
from acsa.services.rates import nation_code

M = TypeVar("M", bound=BaseModel)

API_PREFIX = "/api/v1"
TIMEOUT = httpx.Timeout(120.0, connect=5.0)
#: How many times a request is sent again after a connection error or a 502/503/504.
RETRIES = 2
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_PAUSE_S = 5.0
#: The API's largest pages of orders and of audit records (see api/routers/).
MAX_PAGE = 500
MAX_AUDIT_PAGE = 1000
MAX_INVOICE_REF = 40
MAX_AGREEMENT_ID = 64
IDEMPOTENCY_HEADER = "Idempotency-Key"

#: What a person does through a server for their own nation only: the refusal of another's.
OWN_NATION = {
    "you read the book": t(
        "through a server, you read the book of your own nation ({mine}) only, not of {wanted}"
    ),
    "you manage the users": t(
        "through a server, you manage the users of your own nation ({mine}) only, not of {wanted}"
    ),
    "you make the annual report": t(
        "through a server, you make the annual report of your own nation ({mine}) only, not "
        "of {wanted}"
    ),
    "you read the approvals": t(
        "through a server, you read and set the approvals of your own nation ({mine}) only, "
        "not of {wanted}"
    ),
    "you read the designations": t(
        "through a server, you read and manage the designations of your own nation ({mine}) "
        "only, not of {wanted}"
    ),
}
#: What a person does through a server for themselves only: the refusal of another's.
OWN_NAME = {
    "you make tokens": t(
        "through a server, you make tokens for yourself ({mine}) only, not for {name}; the "
        "operator of the server's database does it for others"
    ),
    "you list tokens": t(
        "through a server, you list tokens for yourself ({mine}) only, not for {name}; the "
        "operator of the server's database does it for others"
    ),
}

ERRORS_BY_STATUS: dict[int, type[AcsaError]] = {
    401: UnauthenticatedError,
    403: ForbiddenError,
    404: NotFoundError,
}


class AccountOut(BaseModel):
    """``GET /orders/{id}/account``: what an order owes, with its settlements in kind."""

    account: OrderAccountOut
    settlements: list[SettlementOut]


def remote_error(template: str, **params: object) -> AcsaError:
    """REMOTE_ERROR naming --server; ``template`` is a message id (``t("...")``)."""
    return AcsaError([Violation(Code.REMOTE_ERROR, "--server", template, params=params)])


def server_base(server: str) -> str:
    """The server's URL without a trailing slash or the API prefix; refused unless it is an
    http(s) URL with a host."""
    text = server.strip().rstrip("/")
    text = text.removesuffix(API_PREFIX)
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "--server",
            "--server {server}: give the server's URL, e.g. https://acsa.example.org or "
            "http://127.0.0.1:8000",
            server=repr(server),
        )
    return text


def violation_of(item: Mapping[str, Any] | ViolationOut) -> Violation:
    """A violation as the API writes it (``{code, field, message, clause, message_id,
    params}``), its message as the server wrote it (in the language the client asked for),
    with its message id and parameters where this version writes the same words from them;
    a code this version does not know keeps its name in the message, as a REMOTE_ERROR."""
    data = item.model_dump() if isinstance(item, ViolationOut) else item
    raw_code = str(data.get("code", ""))
    message = str(data.get("message", ""))
    clause = data.get("clause")
    field = str(data.get("field", ""))
    clause_text = None if clause is None else str(clause)
    try:
        code = Code(raw_code)
    except ValueError:
        return Violation(
            Code.REMOTE_ERROR,
            field,
            "{code}: {message}",
            clause_text,
            params={"code": raw_code, "message": message},
        )
    template = data.get("message_id")
    params = data.get("params")
    if isinstance(template, str) and template and isinstance(params, dict):
        said = Violation(code, field, template, clause_text, {k: str(v) for k, v in params.items()})
        if violation_text(said, language.current()) == message:
            return said
    # The server's words, as it wrote them (a message this version words otherwise).
    return Violation(code, field, message, clause_text)


def refusal_of(response: httpx.Response) -> AcsaError:
    """The coded error a refusal (problem+json, or anything else) stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    violations = (
        [violation_of(e) for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    )
    if not violations:
        request = response.request
        violations = [
            Violation(
                Code.REMOTE_ERROR,
                "--server",
                "the server answered {status} {reason} to {method} {path}",
                params={
                    "status": response.status_code,
                    "reason": response.reason_phrase,
                    "method": request.method,
                    "path": request.url.path,
                },
            )
        ]
    return ERRORS_BY_STATUS.get(response.status_code, AcsaError)(violations)


def _jsonable(value: Any) -> Any:
    """Exact numbers as strings (never floats), days and times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def encode(document: Any) -> bytes:
    return json.dumps(document, default=_jsonable, ensure_ascii=False).encode()


def _pause(attempt: int, retry_after: str | None) -> float:
    try:
        wanted = float(retry_after) if retry_after is not None else None
    except ValueError:
        wanted = None
    return min(wanted if wanted is not None else 0.5 * 2**attempt, MAX_PAUSE_S)


def _order_id(order_id: int) -> int:
    """Where a route bounds the order number, an id out of range is simply not found, as the
    services answer it (rather than the API's 422 for a bad path)."""
    if not 0 < order_id <= MAX_ORDER_ID:
        raise order_not_found(order_id)
    return order_id


def _segment(value: str | int) -> str:
    return quote(str(value), safe="")


def _query(params: Mapping[str, Any]) -> dict[str, str | int]:
    found: dict[str, str | int] = {}
    for key, value in params.items():
        if value is None:
            continue
        found[key] = value if isinstance(value, int | str) else str(_jsonable(value))
    return found


class Client:
    """The API of the server at ``server``, as the user whose ``token`` this is."""

    def __init__(
        self,
        server: str,
        token: str | None,
        *,
        timeout: httpx.Timeout = TIMEOUT,
        retries: int = RETRIES,
        transport: httpx.BaseTransport | None = None,
        lang: str = DEFAULT,
    ) -> None:
        self.server = server_base(server)
        if not token or not token.strip():
            raise UnauthenticatedError(
                [
                    Violation(
                        Code.UNAUTHENTICATED,
                        "--token",
                        "the server {server} needs your API token: set ACSA_TOKEN or give "
                        "--token (make one with `acsa tokens new`)",
                        params={"server": self.server},
                    )
                ]
            )
        self.retries = retries
        self._me: WhoAmIOut | None = None
        self._http = httpx.Client(
            base_url=self.server + API_PREFIX,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "Accept": "application/json",
                "User-Agent": f"acsa/{__version__}",
                "Accept-Language": lang,
            },
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the wire ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        """Send one request (again after a connection error or a 502/503/504, with the same
        Idempotency-Key); a refusal is raised as its AcsaError."""
        headers: dict[str, str] = {}
        content = None
        if method in ("POST", "PUT"):
            headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
        if body is not None:
            content = encode(body)
            headers["Content-Type"] = "application/json"
        query = _query(params or {})
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method, path, params=query, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise self._unreachable(exc, attempt + 1) from None
                time.sleep(_pause(attempt, None))
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                time.sleep(_pause(attempt, response.headers.get("Retry-After")))
                attempt += 1
                continue
            if response.is_success:
                return response
            raise refusal_of(response)

    def _unreachable(self, exc: httpx.TransportError, tries: int) -> AcsaError:
        what = type(exc).__name__
        detail = str(exc) or what
        if tries == 1:
            return remote_error(
                t(
                    "cannot reach the acsa server at {server} ({problem}; tried once); is it "
                    "running, and is --server (ACSA_SERVER) right?"
                ),
                server=self.server,
                problem=detail,
            )
        return remote_error(
            t(
                "cannot reach the acsa server at {server} ({problem}; tried {tries} times); is "
                "it running, and is --server (ACSA_SERVER) right?"
            ),
            server=self.server,
            problem=detail,
            tries=tries,
        )

    def _read(self, response: httpx.Response, adapter: TypeAdapter[Any]) -> Any:
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            request = response.request
            raise remote_error(
                t(
                    "the server's answer to {method} {path} cannot be read by this acsa "
                    "{version}: {count} problem(s), first: {problem}"
                ),
                method=request.method,
                path=request.url.path,
                version=__version__,
                count=exc.error_count(),
                problem=str(exc.errors()[0]["msg"]),
            ) from None

    def one(
        self,
        model: type[M],
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> M:
        result: M = self._read(self.request(method, path, params, body), TypeAdapter(model))
        return result

    def many(self, model: type[M], path: str, params: Mapping[str, Any] | None = None) -> list[M]:
        result: list[M] = self._read(self.request("GET", path, params), TypeAdapter(list[model]))  # type: ignore[valid-type]
        return result

    def download(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """The bytes of a file the API answers with (a PDF, an XLSX, a CSV)."""
        return self.request("GET", path, params).content

    def pages(
        self, model: type[M], path: str, params: Mapping[str, Any], limit: int | None, size: int
    ) -> list[M]:
        """Every item from ``params["offset"]`` on (or ``limit`` of them), a page at a time."""
        found: list[M] = []
        start = int(params.get("offset") or 0)
        while limit is None or len(found) < limit:
            wanted = size if limit is None else min(size, limit - len(found))
            page = self.many(model, path, {**params, "limit": wanted, "offset": start + len(found)})
            found += page
            if len(page) < wanted:
                break
        return found

    # --- who am I -----------------------------------------------------------------------

    def whoami(self) -> WhoAmIOut:
        """The token's user (asked once)."""
        if self._me is None:
            self._me = self.one(WhoAmIOut, "GET", "/whoami")
        return self._me

    def own_nation(self, nation: str | None, field: str, what: str) -> str:
        """The signed-in person's nation; refused when ``nation`` names another (the API
        answers for your own nation only). ``what`` is one of ``OWN_NATION``."""
        mine = self.whoami().nation
        wanted = party_code(nation, field)
        if wanted is not None and wanted != mine:
            raise ForbiddenError.single(
                Code.FORBIDDEN, field, OWN_NATION[what], mine=mine, wanted=wanted
            )
        return mine

    def own_name(self, name: str | None, field: str, what: str) -> str:
        """The signed-in person's name; refused when ``name`` names another. ``what`` is one
        of ``OWN_NAME``."""
        mine = self.whoami().name
        if name is not None and name != mine:
            raise ForbiddenError.single(
                Code.FORBIDDEN, field, OWN_NAME[what], mine=mine, name=repr(name)
            )
        return mine

    def my_tokens(self) -> list[TokenOut]:
        return self.many(TokenOut, "/tokens")

    def new_token(
        self, name: str, expires_days: int | None, never_expires: bool = False
    ) -> TokenIssuedOut:
        body: dict[str, Any] = {"name": name}
        if expires_days is not None:
            body["expires_days"] = expires_days
        if never_expires:
            body["never_expires"] = True
        return self.one(TokenIssuedOut, "POST", "/tokens", body=body)

    def revoke_token(self, token_id: int) -> TokenOut:
        if not 0 < token_id < 2**31:
            raise NotFoundError.single(
                Code.TOKEN_NOT_FOUND, "token", "no token {token}", token=token_id
            )
        return self.one(TokenOut, "POST", f"/tokens/{token_id}/revoke")

    # --- orders -------------------------------------------------------------------------

    def check_document(self, document: Any) -> list[Violation]:
        doc = parse_model(OrderIn, document)
        found = self.one(ErrorsOut, "POST", "/orders/check", body=doc.model_dump(mode="json"))
        return [violation_of(v) for v in found.errors]

    def check_order(self, order_id: int) -> list[Violation]:
        """What the agreement checks say of a stored order now: a draft carries them; for
        any other order, its document is checked again."""
        order = self.get_order(order_id)
        if order.status == "draft":
            return [violation_of(v) for v in order.violations]
        return self.check_document(document_of(order))

    def list_orders(
        self,
        status: str | None = None,
        agreement: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[OrderOut]:
        """Orders by number, every page of them (or ``limit`` of them)."""
        _known_status(status)
        params = {"status": status, "agreement": agreement or None, "offset": offset}
        return self.pages(OrderOut, "/orders", params, limit, MAX_PAGE)

    def get_order(self, order_id: int) -> OrderOut:
        if not 0 < order_id <= MAX_ORDER_ID:
            raise order_not_found(order_id)
        return self.one(OrderOut, "GET", f"/orders/{order_id}")

    def send(self, command: Command) -> Any:
        """Ask the server to take ``command``: its route, body and answer are the command's
        own (made, it has already refused an order id or invoice reference no route takes, as
        locally)."""
        ids = command.ids()
        assert command.spec.path is not None, f"{type(command).__name__} has no route"
        path = command.spec.path.format(**{k: _segment(v) for k, v in ids.items()})
        spec = command.spec
        return self.one(ANSWERS[spec.result], spec.method, path, body=command.wire())

    # --- invoices, payments, settlement in kind -------------------------------------------

    def list_invoices(
        self, order_id: int | None = None, party: str | None = None
    ) -> list[InvoiceOut]:
        """Invoices you see, of one order and/or issued by or to ``party``."""
        if party is not None and len(party) != 3:
            return []  # no nation has that code: nothing is issued by or to it
        if order_id is not None and not 0 < order_id <= MAX_ORDER_ID:
            return []
        return self.many(InvoiceOut, "/invoices", {"order": order_id, "partner": party})

    def get_invoice(self, reference: str) -> InvoiceOut:
        return self.one(InvoiceOut, "GET", f"/invoices/{_invoice_ref(reference)}")

    def sweep(self, as_of: date | None = None) -> SweepOut:
        return self.one(SweepOut, "POST", "/sweep", body={"as_of": as_of})

    def account(self, order_id: int) -> AccountOut:
        return self.one(AccountOut, "GET", f"/orders/{_order_id(order_id)}/account")

    # --- agreements ---------------------------------------------------------------------

    def list_agreements(self, party: str | None, as_of: date | None) -> list[AgreementOut]:
        """Agreements you see (admins: all), signed by ``as_of``, with their status then."""
        if party and len(party) != 3:
            return []  # no nation has that code
        return self.many(AgreementOut, "/agreements", {"party": party or None, "as_of": as_of})

    def get_agreement(self, agreement_id: str, as_of: date) -> AgreementOut:
        if not 1 <= len(agreement_id) <= MAX_AGREEMENT_ID:
            raise NotFoundError.single(
                Code.AGREEMENT_NOT_FOUND,
                "agreement",
                "no agreement {agreement}",
                agreement=repr(agreement_id),
            )
        path = f"/agreements/{_segment(agreement_id)}"
        return self.one(AgreementOut, "GET", path, {"as_of": as_of})

    # --- the ledger (your nation's book) --------------------------------------------------

    def balances(self, partner: str | None, as_of: date | None) -> list[PositionOut]:
        params = {"partner": party_code(partner, "partner"), "as_of": as_of}
        return self.many(PositionOut, "/ledger/balances", params)

    def statement(
        self,
        partner: str,
        start: date,
        end: date,
        currency: str | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[StatementOut]:
        params = {
            "partner": party_code(partner, "partner"),
            "since": start,
            "until": end,
            "currency": currency_code(currency),
            "limit": limit,
            "after": after,
        }
        return self.many(StatementOut, "/ledger/statement", params)

    def aging(self, partner: str | None, as_of: date | None) -> list[AgingOut]:
        params = {"partner": party_code(partner, "partner"), "as_of": as_of}
        return self.many(AgingOut, "/ledger/aging", params)

    def overdue(self, as_of: date | None) -> list[OverdueOut]:
        return self.many(OverdueOut, "/ledger/overdue", {"as_of": as_of})

    def verify_ledger(self) -> VerifyOut:
        return self.one(VerifyOut, "GET", "/ledger/verify")

    # --- reports ------------------------------------------------------------------------

    def exceptions(self, as_of: date | None) -> list[ExceptionOut]:
        return self.many(ExceptionOut, "/reports/exceptions", {"as_of": as_of})

    def annual_report(self, fy: int) -> AnnualReport:
        """Your nation's annual report of fiscal year ``fy``, as data."""
        return self.one(AnnualReport, "GET", "/reports/annual", {"fy": fy, "format": "json"})

    def order_form_pdf(self, order_id: int) -> bytes:
        """The order / receipt / invoice form of an order, as the PDF file."""
        return self.download(f"/orders/{_order_id(order_id)}/form", {"format": "pdf"})

    # --- users of your nation (admins) ----------------------------------------------------

    def list_users(self) -> list[UserOut]:
        return self.many(UserOut, "/users")

    def add_user(self, document: Any) -> UserOut:
        doc = parse_model(UserIn, document)
        return self.one(UserOut, "POST", "/users", body=doc.model_dump(mode="json"))

    def update_user(
        self,
        name: str,
        password: str | None = None,
        roles: list[str] | None = None,
        active: bool | None = None,
        language: str | None = None,
    ) -> UserOut:
        if password is not None and len(password) < 8:
            raise AcsaError.single(
                Code.INVALID_FIELD, "password", "a password needs at least 8 characters"
            )
        if roles is not None:
            parse_roles(roles)
        body = {
            k: v
            for k, v in {
                "password": password,
                "roles": roles,
                "active": active,
                "language": language,
            }.items()
            if v is not None
        }
        if not 1 <= len(name) <= 200:
            raise NotFoundError.single(
                Code.USER_NOT_FOUND, "user", "no user {user}", user=repr(name)
            )
        return self.one(UserOut, "POST", f"/users/{_segment(name)}", body=body)

    def update_profile(self, name: str | None, given: Mapping[str, str]) -> UserOut:
        """Change a profile: your own (``name`` None or yours), else another user's (admin)."""
        body = dict(given)
        if name is None or name == self.whoami().name:
            return self.one(UserOut, "PATCH", "/profile", body=body)
        if not 1 <= len(name) <= 200:
            raise NotFoundError.single(
                Code.USER_NOT_FOUND, "user", "no user {user}", user=repr(name)
            )
        return self.one(UserOut, "PATCH", f"/users/{_segment(name)}/profile", body=body)

    def unlock_user(self, name: str) -> UnlockOut:
        if not 1 <= len(name) <= 200:
            raise NotFoundError.single(
                Code.USER_NOT_FOUND, "user", "no user {user}", user=repr(name)
            )
        return self.one(UnlockOut, "POST", f"/users/{_segment(name)}/unlock")

    def unlock_address(self, address: str) -> UnlockOut:
        return self.one(UnlockOut, "POST", f"/sign-in/addresses/{_segment(address)}/unlock")

    def sign_in_locks(self) -> list[SignInLockOut]:
        return self.many(SignInLockOut, "/sign-in/locks")

    # --- the audit log --------------------------------------------------------------------

    def audit_log(
        self,
        order_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[AuditRecordOut]:
        if order_id is not None and not 0 < order_id <= MAX_ORDER_ID:
            raise order_not_found(order_id)
        params = {"order": order_id, "offset": offset, "newest_first": newest_first}
        return self.pages(AuditRecordOut, "/audit", params, limit, MAX_AUDIT_PAGE)

    def verify_audit(self) -> AuditVerifyOut:
        return self.one(AuditVerifyOut, "GET", "/audit/verify")

    # --- the node and its courier -------------------------------------------------------

    def node(self) -> NodeOut:
        return self.one(NodeOut, "GET", "/node")

    def courier_status(self) -> CourierStatusOut:
        return self.one(CourierStatusOut, "GET", "/courier/status")

    # --- rate rules and official rates ----------------------------------------------------

    def rate_rules(self) -> list[RuleOut]:
        return self.many(RuleOut, "/rates/rules")

    def rate_rule(self, nation: str) -> RuleOut:
        code = nation_code(nation)
        return self.one(RuleOut, "GET", f"/rates/rules/{_segment(code)}")

    def set_rate_rule(self, nation: str, rule: str) -> RuleOut:
        code = nation_code(nation)
        body = {"rule": parse_rule(rule, "rule").value}
        return self.one(RuleOut, "POST", f"/rates/rules/{_segment(code)}", body=body)

    def official_rates(self, nation: str | None = None) -> list[OfficialRateOut]:
        params = {"nation": party_code(nation, "--nation")}
        return self.many(OfficialRateOut, "/rates/official", params)

    def set_official_rate(
        self, nation: str, fiscal_year: int, currency: str, rate: str, source: str
    ) -> OfficialRateOut:
        body = {
            "nation": nation_code(nation),
            "fiscal_year": fiscal_year,
            "currency": currency.strip().upper(),
            "rate": rate,
            "source": source,
        }
        return self.one(OfficialRateOut, "POST", "/rates/official", body=body)


# --- where the API's request validation would answer otherwise than the services ------------
# The command prints what the service would have refused with, so these few refusals are made
# here, before the request, exactly as the services make them.


def _known_status(status: str | None) -> None:
    """A status no order has is refused as the local query refuses it (the same words)."""
    from acsa.domain.order_search import order_query

    order_query(status=status)


def _invoice_ref(reference: str) -> str:
    if not 1 <= len(reference) <= MAX_INVOICE_REF:
        raise NotFoundError(
            [
                Violation(
                    Code.INVOICE_NOT_FOUND,
                    "invoice",
                    "no invoice {invoice} (give its number or id)",
                    params={"invoice": repr(reference)},
                )
            ]
        )
    return _segment(reference)


def document_of(order: OrderOut) -> dict[str, Any]:
    """The order document (``orders new --file``) a stored order was placed with."""
    doc: dict[str, Any] = {
        name: getattr(order, name)
        for name in OrderIn.model_fields
        if name not in ("lines", "confirm")
    }
    # The warnings the order confirmed are ``confirmed`` on the stored order.
    doc["confirm"] = list(order.confirmed)
    doc["lines"] = [
        {name: getattr(line, name) for name in OrderLineIn.model_fields} for line in order.lines
    ]
    return doc
