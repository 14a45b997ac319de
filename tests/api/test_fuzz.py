"""Schemathesis against a real ``acsa serve``: every operation of /openapi.json, fuzzed.

One server per module (per xdist worker) over a SQLite file holding the registry, orders of
JPN and AUS in several states (a draft, a submitted, an accepted and received orders in cash
and in kind, an invoice part paid) and Japan's people (``add_people``). The operations are
listed at collection from the app's own OpenAPI document, so whatever routers exist are
covered; each test then finds its operation in the schema loaded from the running server's
/openapi.json.

For each operation, as ``JPN-all`` (every role of Japan) with a token of its own:

- positive cases (valid by the schema) and negative ones (invalid), with path parameters now
  and then naming seeded orders, invoices, agreements and people so the requests reach the
  services, not only the 404s;
- checks: no 5xx (``not_a_server_error``), the response body valid against the documented
  schema of its status and media type (``response_schema_conformance``), its status,
  Content-Type and headers documented (``status_code_conformance``,
  ``content_type_conformance``, ``response_headers_conformance``), every request the schema
  forbids refused (``negative_data_rejection``: an unknown query parameter too), ``Allow``
  true, a request without its token refused (``ignored_auth``), and every refusal an
  ``application/problem+json`` document valid against the ``Problem`` schema of the document,
  whose ``status`` is the response's (checked here: schemathesis does not check that one).

Without a token, every secured operation answers 401 with a conforming problem document and
a ``WWW-Authenticate`` header. Every method a path does not document answers a conforming 405
naming the documented ones in ``Allow``; a path under /api/ that is no operation, a conforming
404; every operation documents 400, 413 and 503 (and 422 when it reads a body), every page
parameter is bounded by ``acsa.domain.limits``.

Reproducible: hypothesis runs derandomized with no example database, a fixed number of examples
per operation and mode. A defect of src/acsa/api found here and not fixed yet is listed in
KNOWN_DEFECTS with its reproduction: that operation's test is a strict xfail that fails for any
other finding, and turns into a failure (XPASS) once the defect is gone, to be removed from the
list.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.api.app import create_app
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.domain.limits import PAGE_LIMIT_MAX, PAGE_OFFSET_MAX
from acsa.services import users
from acsa.services.handlers import handle
from acsa.services.setup import init_database
from tests import ledger_data
from tests.api.server import Person, Server, add_people

POSITIVE_EXAMPLES = 15
NEGATIVE_EXAMPLES = 10
UNAUTHENTICATED_EXAMPLES = 3
FUZZER = "JPN-all"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
#: Every check of schemathesis that applies to one response, except
#: ``positive_data_acceptance``: the rules refuse requests the schema cannot tell apart from
#: good ones (an agreement or party that does not exist, a node not yet initialised, a date
#: outside limits.DATE_MIN..DATE_MAX, which ``format: date`` cannot bound), by design a coded
#: 422. Those of the coverage and stateful phases (unsupported methods, missing headers, use
#: after free) are made here by ``test_every_undocumented_method_is_a_conforming_405``.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    negative_data_rejection,
    allow_header_conformance,
    ignored_auth,
]
PROBLEM = "application/problem+json"
#: The code of a failure of the problem-document check made here.
NOT_A_PROBLEM = "PROBLEM"
FUZZ_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    # Failures are collected, not raised: nothing to shrink, and every example runs.
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}


# --- what is known to fail ------------------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    """A defect of the API found by this fuzzing, with what it fails and a request that shows
    it (sent before the generated ones, so the xfail does not hang on generation luck)."""

    reason: str
    fails: frozenset[tuple[str, int]]  # (failure code, status): "ST101" server error...
    probe: dict[str, Any] = field(default_factory=dict)  # Case(...) arguments


#: None known now: the undocumented 400s and 422 content type and the 500 on a partial date
#: given as an object were mended; add an entry (with its probe) when one is found again.
KNOWN_DEFECTS: dict[str, Defect] = {}


class KnownDefectError(AssertionError):
    """Only the failures KNOWN_DEFECTS lists for the operation were found."""


# --- the operations, at collection ----------------------------------------------------------


def _operations() -> list[tuple[str, bool]]:
    """(label, secured) of every operation of the app's OpenAPI document."""
    engine = make_engine("sqlite://")
    try:
        spec = create_app(engine).openapi()
    finally:
        engine.dispose()
    return [
        (f"{method.upper()} {path}", bool(operation.get("security")))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


OPERATIONS = _operations()


def _params(secured_only: bool = False, with_defects: bool = True) -> list[Any]:
    found = []
    for label, secured in OPERATIONS:
        if secured_only and not secured:
            continue
        defect = KNOWN_DEFECTS.get(label) if with_defects else None
        marks = (
            [pytest.mark.xfail(strict=True, raises=KnownDefectError, reason=defect.reason)]
            if defect
            else []
        )
        found.append(pytest.param(label, id=label, marks=marks))
    return found


# --- the server -----------------------------------------------------------------------------


@dataclass
class Served:
    server: Server
    db_url: str
    schema: Any
    problem: Any  # a validator of the document's Problem schema
    people: dict[str, Person]
    #: Values of path parameters that name something stored, by parameter name.
    known: dict[str, list[Any]]


def _seed(db_url: str) -> dict[str, list[Any]]:
    """Orders in several states between JPN and AUS; the values that name them."""
    engine = make_engine(db_url)
    init_database(engine)
    uow = UnitOfWork(engine)
    day = date(2026, 3, 2)
    try:
        draft, _ = handle(uow, PlaceOrder.from_wire(ledger_data.fuel_doc(10)), "Lt K. Sato")
        submitted, _ = handle(uow, PlaceOrder.from_wire(ledger_data.fuel_doc(20)), "Lt K. Sato")
        handle(uow, SubmitOrder(order_id=submitted.id), "Capt. J. Smith")
        accepted = ledger_data.accepted(uow, ledger_data.fuel_doc(30), day)
        received = ledger_data.received(uow, 40, day)
        invoiced = ledger_data.received(uow, 50, day, supplier="AUS", requester="JPN")
        number = ledger_data.invoice(uow, invoiced, day)
        ledger_data.pay(uow, number, 1000, day)
        in_kind = ledger_data.received(uow, 60, day, "replacement_in_kind")
    finally:
        engine.dispose()
    return {
        "order_id": [draft.id, submitted.id, accepted, received, invoiced, in_kind],
        "invoice": [number],
        "agreement_id": ["JPN-AUS", "JPN-USA"],
        "name": ["JPN-viewer", "JPN-auditor"],  # never the fuzzer itself
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("fuzz")
    db_url = f"sqlite:///{folder / 'acsa.db'}"
    known = _seed(db_url)
    people = add_people(db_url, ("JPN",))
    with Server(db_url, log=folder / "serve.log") as server:
        schema = schemathesis.openapi.from_url(server.base + "/openapi.json")
        spec = requests.get(server.base + "/openapi.json", timeout=30).json()
        problem = jsonschema_rs.validator_for(
            {"$ref": "#/components/schemas/Problem", "components": spec["components"]}
        )
        yield Served(server, db_url, schema, problem, people, known)


@pytest.fixture
def token(served: Served) -> str:
    """A token of the fuzzer's own for this test: revoking tokens is among the operations."""
    engine = make_engine(served.db_url)
    try:
        issued = users.issue_token(UnitOfWork(engine), FUZZER, f"fuzz-{uuid.uuid4().hex[:8]}", 1)
    finally:
        engine.dispose()
    return issued.token


# --- running cases --------------------------------------------------------------------------


@dataclass
class Findings:
    """Failures by (code, status), each with the first request that showed it."""

    found: dict[tuple[str, int], str] = field(default_factory=dict)

    def add(self, key: tuple[str, int], case: Any, detail: str) -> None:
        if key not in self.found:
            curl = case.as_curl_command(headers={"Authorization": "Bearer [token]"})
            self.found[key] = f"{key[0]} {key[1]}: {detail.strip()[:600]}\n  {curl[:800]}"

    def report(self, keys: Any) -> str:
        return "\n\n".join(self.found[k] for k in sorted(set(keys) & set(self.found)))


def _header(response: Any, name: str) -> str:
    """A header of a schemathesis response (values are lists, names as sent)."""
    for key, values in response.headers.items():
        if key.lower() == name:
            return ", ".join(values) if isinstance(values, list) else str(values)
    return ""


def _problem_failures(served: Served, response: Any) -> list[str]:
    """What is wrong with a refusal as a problem document (nothing for a success)."""
    status = response.status_code
    if status < 400:
        return []
    content_type = _header(response, "content-type")
    if not content_type.startswith(PROBLEM):
        return [f"a {status} answered {content_type!r}, not {PROBLEM}: {response.text[:200]!r}"]
    try:
        body = response.json()
    except ValueError:
        return [f"a {status} problem document that is not JSON: {response.text[:200]!r}"]
    wrong = [e.message for e in served.problem.iter_errors(body)]
    if isinstance(body, dict) and body.get("status") != status:
        wrong.append(f"the document says status {body.get('status')!r}, the response {status}")
    if status == 401 and "bearer" not in _header(response, "www-authenticate").lower():
        wrong.append("a 401 without WWW-Authenticate: Bearer")
    return wrong


def _send(case: Any, headers: dict[str, str], session: requests.Session) -> Any:
    try:
        response = case.call(session=session, headers=headers, timeout=60)
    except requests.ConnectionError:
        # After a 500 the server closes the keep-alive connection: once more on a new one.
        response = case.call(headers=headers, timeout=60)
    return response


def exercise(
    served: Served,
    case: Any,
    headers: dict[str, str],
    findings: Findings,
    statuses: set[int] | None = None,
) -> None:
    """Send ``case`` and note every check it fails (and its status in ``statuses``)."""
    if not headers:  # unauthenticated: no Authorization, not even a generated one
        kept = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = kept
    with requests.Session() as session:
        response = _send(case, headers, session)
    if statuses is not None:
        statuses.add(response.status_code)
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            findings.add((failure.code, response.status_code), case, str(failure))
    except Failure as failure:
        findings.add((failure.code, response.status_code), case, str(failure))
    for problem in _problem_failures(served, response):
        findings.add((NOT_A_PROBLEM, response.status_code), case, problem)


def strategies(operation: Any, mode: GenerationMode, known: dict[str, list[Any]]) -> Any:
    """Cases of ``operation``: generated throughout, and also with path parameters naming
    stored things (when there is something stored to name for every one of them)."""
    names = re.findall(r"{(\w+)}", operation.path)
    options = [operation.as_strategy(mode)]
    if names and all(n in known for n in names):
        combos = itertools.product(*(known[n] for n in names))
        options += [
            operation.as_strategy(mode, path_parameters=dict(zip(names, values, strict=True)))
            for values in itertools.islice(combos, 6)
        ]
    return st.one_of(options)


def fuzz(examples: int, cases: Any, run: Callable[[Any], None]) -> bool:
    """``run`` over ``examples`` cases; False when no case can be made (a negative mode of an
    operation without inputs)."""

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(case=cases)
    def each(case: Any) -> None:
        run(case)

    try:
        each()
    except Unsatisfiable:
        return False
    return True


def conclude(label: str, findings: Findings) -> None:
    defect = KNOWN_DEFECTS.get(label)
    known = defect.fails if defect else frozenset()
    unexpected = set(findings.found) - known
    assert not unexpected, f"{label}:\n\n{findings.report(unexpected)}"
    if findings.found:
        raise KnownDefectError(
            f"{label}: {defect.reason if defect else ''}\n\n{findings.report(known)}"
        )


# --- the tests ------------------------------------------------------------------------------


def test_every_operation_of_the_document_is_fuzzed(served: Served) -> None:
    """The operations collected from the app are those the server documents."""
    loaded = {r.ok().label for r in served.schema.get_all_operations()}
    assert loaded == {label for label, _secured in OPERATIONS}
    assert set(KNOWN_DEFECTS) <= loaded, "a known defect names an operation that is gone"


def test_the_seeded_data_is_there(served: Served, token: str) -> None:
    """The fuzzer sees the seeded orders (so path parameters naming them reach the services)."""
    headers = {"Authorization": f"Bearer {token}"}
    for order_id in served.known["order_id"]:
        shown = requests.get(
            f"{served.server.base}/api/v1/orders/{order_id}", headers=headers, timeout=30
        )
        assert shown.status_code == 200, shown.text


@pytest.mark.parametrize("label", _params())
def test_operation_conforms_to_the_document(served: Served, token: str, label: str) -> None:
    operation = served.schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": f"Bearer {token}"}
    findings = Findings()
    defect = KNOWN_DEFECTS.get(label)
    if defect:
        exercise(served, operation.Case(**defect.probe), headers, findings)
    for mode, examples in (
        (GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
        (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES),
    ):
        fuzz(
            examples,
            strategies(operation, mode, served.known),
            lambda case: exercise(served, case, headers, findings),
        )
    if "/revoke" not in label:  # a token may revoke itself; nothing else may lock it out
        who = requests.get(served.server.base + "/api/v1/whoami", headers=headers, timeout=30)
        assert who.status_code == 200, f"the fuzzer was locked out: {who.text}"
    conclude(label, findings)


@pytest.mark.parametrize("label", _params(secured_only=True, with_defects=False))
def test_without_a_token_every_secured_operation_is_a_conforming_401(
    served: Served, label: str
) -> None:
    operation = served.schema.find_operation_by_label(label)
    assert operation is not None, label
    findings = Findings()
    statuses: set[int] = set()
    fuzz(
        UNAUTHENTICATED_EXAMPLES,
        operation.as_strategy(GenerationMode.POSITIVE),
        lambda case: exercise(served, case, {}, findings, statuses),
    )
    assert statuses == {401}, (statuses, findings.report(findings.found))
    assert not findings.found, findings.report(findings.found)


def test_a_problem_document_has_its_schema_under_its_media_type(served: Served) -> None:
    spec = requests.get(served.server.base + "/openapi.json", timeout=30).json()
    bare = sorted(
        f"{method.upper()} {path} {status}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status, response in operation.get("responses", {}).items()
        if PROBLEM in response.get("content", {}) and "schema" not in response["content"][PROBLEM]
    )
    assert not bare, f"{len(bare)} responses, e.g. {json.dumps(bare[:3])}"


#: Values for path parameters when a path is only to be matched (what it names is no matter).
ANY_PARAMETER = {"order_id": "1", "invoice": "INV-1", "token_id": "1", "document_id": "1"}


def test_every_undocumented_method_is_a_conforming_405(served: Served, token: str) -> None:
    """Each path of the document, with each method it does not document: 405, a problem
    document, and ``Allow`` naming exactly the methods the document gives the path; with a
    token and without (no 401 first: the method is wrong whoever asks)."""
    spec = requests.get(served.server.base + "/openapi.json", timeout=30).json()
    wrong: list[str] = []
    sent = 0
    for path, item in spec["paths"].items():
        documented = {m.upper() for m in item if m in HTTP_METHODS}
        url = served.server.base + re.sub(
            r"{(\w+)}", lambda m: str(ANY_PARAMETER.get(m.group(1), "JPN-AUS")), path
        )
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            if method in documented:
                continue
            for headers in ({}, {"Authorization": f"Bearer {token}"}):
                response = requests.request(method, url, headers=headers, timeout=30)
                sent += 1
                allow = {m.strip() for m in response.headers.get("Allow", "").split(",")}
                problems = _problem_failures(served, response)
                body = response.json() if not problems else {}
                if (
                    response.status_code != 405
                    or allow != documented
                    or problems
                    or body.get("code") != "METHOD_NOT_ALLOWED"
                ):
                    wrong.append(f"{method} {path}: {response.status_code} {allow} {problems}")
    assert sent > 200
    assert not wrong, "\n".join(wrong)


def test_an_unknown_api_path_is_a_conforming_404(served: Served) -> None:
    for path in ("/api/v1/nothing", "/api/v1/orders/1/nothing", "/api/v2/orders", "/api/"):
        for method in ("GET", "POST", "DELETE"):
            response = requests.request(method, served.server.base + path, timeout=30)
            assert response.status_code == 404, (method, path, response.text)
            assert not _problem_failures(served, response)
            assert response.json()["code"] == "PATH_NOT_FOUND"


def test_the_document_bounds_pages_and_declares_the_edge(served: Served) -> None:
    """Every ``limit`` and ``offset`` parameter is bounded by limits; every operation
    documents 413 (a body over the bound) and every operation that reads a body 422."""
    spec = requests.get(served.server.base + "/openapi.json", timeout=30).json()
    pages = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            label = f"{method.upper()} {path}"
            responses = operation["responses"]
            assert {"400", "413", "503"} <= set(responses), label
            if method in ("post", "put", "patch", "delete"):
                assert "422" in responses, label
            for parameter in operation.get("parameters", []):
                bounds = {"limit": PAGE_LIMIT_MAX, "offset": PAGE_OFFSET_MAX}
                if parameter["in"] == "query" and parameter["name"] in bounds:
                    pages += 1
                    schema = parameter["schema"]
                    assert schema["maximum"] <= bounds[parameter["name"]], label
                    assert schema["minimum"] >= (parameter["name"] == "limit"), label
    assert pages >= 4


def test_the_coverage_phase_finds_nothing(served: Served, token: str, tmp_path: Path) -> None:
    """schemathesis itself (``st run``), its coverage phase over every operation: the
    deterministic cases at and past each bound of the document (every missing required
    field, wrong type, value one past a bound, undocumented method and header), with every
    check but ``positive_data_acceptance`` (see CHECKS). Revoking is left out: a case may
    revoke the token the run signs in with (its own test above fuzzes it)."""
    report = tmp_path / "coverage.txt"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--no-color",
        "run",
        served.server.base + "/openapi.json",
        "--phases=coverage",
        "--checks=all",
        "--exclude-checks=positive_data_acceptance",
        "--exclude-path-regex=/revoke$",
        "--workers=1",
        "--suppress-health-check=all",
        "--continue-on-failure",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    with report.open("w") as out:
        done = subprocess.run(
            command, check=False, stdout=out, stderr=subprocess.STDOUT, timeout=600
        )
    text = report.read_text()
    assert done.returncode == 0, text[-6000:]
    assert re.search(r"\b[1-9][0-9]* passed", text), text[-2000:]
