"""Sign-in throttling, the audit of failed sign-ins, sessions and tokens ended when a user's
password, roles or state change, and token lifetimes: through a real ``acsa serve`` (the web
sign-in form, the API) and the real ``acsa`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.tables import sign_in_throttle
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.sign_in import CountedBy, Failures
from acsa.services import users
from tests.api.server import ROLES, Person, Server, passwords_hashed_once
from tests.e2e.cli import Result
from tests.e2e.cli import forked_run as run

#: No throttle to speak of: for the tests that are not about it.
LENIENT = {
    "ACSA_SIGN_IN_FREE_FAILURES": "1000",
    "ACSA_SIGN_IN_LOCK_AFTER": "1000",
    "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "1000",
}
NO_SERVER = {"ACSA_SERVER": "", "ACSA_TOKEN": ""}
SESSION = "acsa_session"


def password_of(name: str) -> str:
    return f"password-{name}"


def add_people(db_url: str, names: tuple[str, ...]) -> dict[str, Person]:
    """Users ``NATION-role`` (``-all``: every role) with a password and a token."""
    engine = make_engine(db_url)
    people: dict[str, Person] = {}
    try:
        for name in names:
            nation, role = name.split("-", 1)
            roles = ROLES if role == "all" else (role,)
            doc = {
                "name": name,
                "nation": nation,
                "roles": list(roles),
                "password": password_of(name),
            }
            with passwords_hashed_once():
                users.add_user(UnitOfWork(engine), doc, actor="test")
            token = users.issue_token(UnitOfWork(engine), name, actor="test").token
            people[name] = Person(name, nation, roles, token)
    finally:
        engine.dispose()
    return people


@dataclass
class Site:
    """A running server, its people, and the sign-in form."""

    server: Server
    people: dict[str, Person]
    db_url: str

    def api(self, method: str, path: str, who: str | None = None, **kw: Any) -> httpx.Response:
        headers = self.people[who].headers if who else {}
        return httpx.request(
            method, self.server.base + "/api/v1" + path, headers=headers, timeout=30, **kw
        )

    def attempt(
        self, name: str, password: str, language: str = "en", base: str | None = None
    ) -> tuple[httpx.Response, httpx.Client]:
        """One sign-in through the form (a fresh browser; to ``base``, another server, if
        given): the answer and the browser."""
        browser = httpx.Client(
            base_url=base or self.server.base, timeout=30, headers={"Accept-Language": language}
        )
        page = browser.get("/login")
        assert page.status_code == 200
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        answer = browser.post(
            "/login",
            data={"name": name, "password": password, "csrf": found.group(1), "next": "/"},
        )
        return answer, browser

    def sign_in(self, name: str) -> httpx.Client:
        """A browser signed in as ``name`` (the right password)."""
        answer, browser = self.attempt(name, password_of(name))
        assert answer.status_code == 303, answer.text[:500]
        assert browser.cookies.get(SESSION)
        return browser

    def fail(self, name: str, status: int = 401) -> httpx.Response:
        answer, browser = self.attempt(name, "not-the-password")
        browser.close()
        assert answer.status_code == status, answer.text[:300]
        return answer

    def wait_out(self, seconds: float) -> None:
        """As if ``seconds`` had passed since the failures counted so far: each one's time, as
        the server reads it from the database, moved that much earlier (the server's clock is
        not touched; the throttle measures the time since the last failure)."""
        engine = make_engine(self.db_url)
        try:
            with engine.begin() as conn:
                rows = conn.execute(select(sign_in_throttle)).all()
                for row in rows:
                    conn.execute(
                        update(sign_in_throttle)
                        .where(sign_in_throttle.c.kind == row.kind)
                        .where(sign_in_throttle.c.key == row.key)
                        .values(last_failure_at=row.last_failure_at - timedelta(seconds=seconds))
                    )
        finally:
            engine.dispose()

    def failures(self, kind: str, key: str) -> Failures | None:
        engine = make_engine(self.db_url)
        try:
            with UnitOfWork(engine, read_only=True) as uow:
                return uow.accounts.failures(CountedBy(kind), key)
        finally:
            engine.dispose()

    def audit(self) -> list[dict[str, object]]:
        engine = make_engine(self.db_url)
        try:
            with UnitOfWork(engine, read_only=True) as uow:
                return [
                    {
                        "action": r.action,
                        "actor": r.actor,
                        "nation": r.nation,
                        "subject": r.subject,
                        "after": r.after,
                        "before": r.before,
                    }
                    for r in uow.audit.records()
                ]
        finally:
            engine.dispose()


@pytest.fixture
def serve(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Site]]:
    """Start a server over ``db_url`` with the given ACSA_* settings and people."""
    running: list[Server] = []

    def start(env: dict[str, str], names: tuple[str, ...] = ("JPN-viewer", "JPN-admin")) -> Site:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        people = add_people(db_url, names)
        server = Server(db_url, log=tmp_path / "serve.log").start()
        running.append(server)
        return Site(server, people, db_url)

    yield start
    for server in running:
        server.stop()


def code_of(page: httpx.Response) -> str:
    found = re.search(r'role="alert" data-code="([A-Z_]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def acsa(*args: str, env: dict[str, str] | None = None) -> Result:
    return run(*args, env={**NO_SERVER, **(env or {})})


# --- throttling -----------------------------------------------------------------------------


def test_a_locked_name_refuses_the_right_password_until_an_admin_unlocks_it(serve):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "1000",
            "ACSA_SIGN_IN_LOCK_AFTER": "5",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "1000",
        },
        ("JPN-viewer", "JPN-admin", "JPN-approver", "AUS-admin"),
    )
    for _ in range(5):
        assert code_of(site.fail("JPN-viewer")) == "UNAUTHENTICATED"
    # Thirty more, the right password among them: refused, without a session.
    for i in range(30):
        password = password_of("JPN-viewer") if i % 3 == 0 else "wrong-again"
        answer, browser = site.attempt("JPN-viewer", password)
        assert answer.status_code == 429
        assert code_of(answer) == "SIGN_IN_LOCKED"
        assert "retry-after" not in answer.headers
        assert not browser.cookies.get(SESSION)
    # In Japanese, the same refusal in Japanese words.
    answer, _ = site.attempt("JPN-viewer", password_of("JPN-viewer"), language="ja")
    assert answer.status_code == 429
    assert "ロックされました" in answer.text
    # Another user from the same address is not locked out by it.
    site.sign_in("JPN-approver").close()
    # Only an admin of the user's nation lifts it.
    assert site.api("POST", "/users/JPN-viewer/unlock", "JPN-approver").status_code == 403
    other = site.api("POST", "/users/JPN-viewer/unlock", "AUS-admin")
    assert other.status_code == 404
    assert other.json()["code"] == "USER_NOT_FOUND"
    assert site.attempt("JPN-viewer", password_of("JPN-viewer"))[0].status_code == 429
    lifted = site.api("POST", "/users/JPN-viewer/unlock", "JPN-admin")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json() == {
        "kind": "account",
        "key": "JPN-viewer",
        "was_locked": True,
        "failures": 5,
    }
    browser = site.sign_in("JPN-viewer")
    assert browser.get("/").status_code == 200
    unlocks = [r for r in site.audit() if r["action"] == "sign_in.unlock"]
    assert [(r["actor"], r["subject"]) for r in unlocks] == [("JPN-admin", "user:JPN-viewer")]


#: The first delay in the throttle tests (seconds): long enough that a loaded machine's
#: pauses between a failure and the next attempt do not use it up.
DELAY_S = 2


def _within(wait: int, expected: int) -> bool:
    """A Retry-After of ``expected`` seconds, less the second a slow client may have spent."""
    return expected - 1 <= wait <= expected


def test_the_delay_grows_with_each_failure_and_holds_the_right_password_back(serve):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "2",
            "ACSA_SIGN_IN_DELAY_SECONDS": str(DELAY_S),
            "ACSA_SIGN_IN_LOCK_AFTER": "100",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "1000",
        }
    )
    site.fail("JPN-viewer")
    site.fail("JPN-viewer")
    waits: list[int] = []
    for _ in range(3):
        # At once, the right password: held back, not checked, with the time to wait.
        answer, browser = site.attempt("JPN-viewer", password_of("JPN-viewer"))
        assert answer.status_code == 429
        assert code_of(answer) == "SIGN_IN_THROTTLED"
        assert not browser.cookies.get(SESSION)
        wait = int(answer.headers["retry-after"])
        waits.append(wait)
        site.wait_out(wait + 0.3)
        site.fail("JPN-viewer")
    expected = [DELAY_S, 2 * DELAY_S, 4 * DELAY_S]
    assert all(_within(w, e) for w, e in zip(waits, expected, strict=True)), waits
    last = int(site.attempt("JPN-viewer", "x")[0].headers["retry-after"])
    assert _within(last, 8 * DELAY_S)
    # Once the wait is over, the right password gets in: the name's count is forgotten, the
    # address's failures stand (the attempt that got in is not one of them).
    site.wait_out(last + 0.3)
    site.sign_in("JPN-viewer").close()
    assert site.failures("account", "JPN-viewer") is None
    address = site.failures("address", "127.0.0.1")
    assert address is not None
    assert address.count == 5


def test_guesses_sent_at_once_to_several_server_processes_meet_the_throttle(serve, tmp_path):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "2",
            "ACSA_SIGN_IN_DELAY_SECONDS": "600",
            "ACSA_SIGN_IN_LOCK_AFTER": "100",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "1000",
        },
    )
    # A second server process over the same database (SQLite serves one worker per process).
    with Server(site.db_url, log=tmp_path / "second.log") as second:
        bases = [site.server.base, second.base]
        guesses = [f"guess-{i}" for i in range(16)] + [password_of("JPN-viewer")] * 4
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(
                pool.map(
                    lambda i: site.attempt("JPN-viewer", guesses[i], base=bases[i % 2]),
                    range(len(guesses)),
                )
            )
    statuses = sorted(answer.status_code for answer, _ in answers)
    # Each attempt is counted before its password is checked, in the database both processes
    # share: two free ones, whichever they were, and every other one waits.
    checked = [s for s in statuses if s != 429]
    assert len(checked) == 2, statuses
    assert statuses.count(429) == 18
    assert set(checked) <= {401, 303}
    fails = [r for r in site.audit() if r["action"] == "sign_in.fail"]
    refused = [r for r in site.audit() if r["action"] == "sign_in.refuse"]
    assert len(fails) == checked.count(401)
    assert len(refused) == 18


def test_an_address_is_throttled_and_locked_across_names(serve):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "2",
            "ACSA_SIGN_IN_DELAY_SECONDS": str(DELAY_S),
            "ACSA_SIGN_IN_LOCK_AFTER": "1000",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "4",
        },
        ("JPN-viewer", "JPN-admin", "JPN-approver"),
    )
    # Two names tried once each: neither name is throttled, the address is.
    site.fail("ghost-1")
    site.fail("ghost-2")
    answer, _ = site.attempt("JPN-viewer", password_of("JPN-viewer"))
    assert answer.status_code == 429
    assert code_of(answer) == "SIGN_IN_THROTTLED"
    assert _within(int(answer.headers["retry-after"]), DELAY_S)
    japanese, _ = site.attempt("JPN-viewer", password_of("JPN-viewer"), language="ja")
    assert japanese.status_code == 429
    assert "秒後に再度お試しください" in japanese.text
    site.wait_out(int(answer.headers["retry-after"]) + 0.3)
    site.fail("ghost-3")
    answer, _ = site.attempt("ghost-5", "x")
    assert code_of(answer) == "SIGN_IN_THROTTLED"
    assert _within(int(answer.headers["retry-after"]), 2 * DELAY_S)
    site.wait_out(int(answer.headers["retry-after"]) + 0.3)
    site.fail("ghost-4")
    # Four failures from 127.0.0.1: locked, for every name, the right password too.
    answer, browser = site.attempt("JPN-approver", password_of("JPN-approver"))
    assert answer.status_code == 429
    assert code_of(answer) == "SIGN_IN_LOCKED"
    assert not browser.cookies.get(SESSION)
    # The lock shows in the admin's list and in the operator's.
    locks = site.api("GET", "/sign-in/locks", "JPN-admin").json()
    assert [(lock["kind"], lock["key"], lock["failures"]) for lock in locks] == [
        ("address", "127.0.0.1", 4)
    ]
    listed = acsa("users", "locks", "--db", site.db_url, "--json")
    assert listed.code == 0, listed.stderr
    assert [lock["key"] for lock in listed.json] == ["127.0.0.1"]
    # The operator lifts it with the command.
    lifted = acsa("users", "unlock", "--address", "127.0.0.1", "--db", site.db_url, "--json")
    assert lifted.code == 0, lifted.stderr
    assert lifted.json["was_locked"] is True
    site.sign_in("JPN-approver").close()


def test_an_admin_unlocks_an_address_through_the_api_and_the_command(serve):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "1000",
            "ACSA_SIGN_IN_LOCK_AFTER": "1000",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "3",
        }
    )
    for i in range(3):
        site.fail(f"nobody-{i}")
    assert site.attempt("JPN-viewer", password_of("JPN-viewer"))[0].status_code == 429
    assert site.api("POST", "/sign-in/addresses/127.0.0.1/unlock", "JPN-viewer").status_code == 403
    done = site.api("POST", "/sign-in/addresses/127.0.0.1/unlock", "JPN-admin")
    assert done.status_code == 200, done.text
    assert done.json()["was_locked"] is True
    site.sign_in("JPN-viewer").close()
    # Through the server with the command, as the admin (nothing locked now).
    remote = run(
        "users",
        "unlock",
        "--address",
        "127.0.0.1",
        "--json",
        env={"ACSA_SERVER": site.server.base, "ACSA_TOKEN": site.people["JPN-admin"].token},
    )
    assert remote.code == 0, remote.stderr
    assert remote.json["was_locked"] is False
    neither = acsa("users", "unlock", "--db", site.db_url)
    assert neither.code == 2
    assert "INVALID_INPUT" in neither.stdout + neither.stderr
    assert "Traceback" not in neither.stdout + neither.stderr


# --- the audit of failed sign-ins -------------------------------------------------------------


def test_every_failed_sign_in_is_audited_without_the_password(serve):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "1000",
            "ACSA_SIGN_IN_LOCK_AFTER": "3",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "1000",
        }
    )
    secrets = ["Secret-One-1", "Secret-Two-2", "Secret-Three-3", "Secret-Four-4", "Sec-Five-5"]
    long_name = "x" * 180
    tries = [
        ("JPN-viewer", secrets[0], 401),
        ("no-such-user", secrets[1], 401),
        (long_name, secrets[2], 401),
        ("JPN-viewer", secrets[3], 401),
        ("JPN-viewer", secrets[4], 401),  # the third: the name is locked after this one
        ("JPN-viewer", password_of("JPN-viewer"), 429),
    ]
    for name, password, status in tries:
        assert site.attempt(name, password)[0].status_code == status
    records = [r for r in site.audit() if str(r["action"]).startswith("sign_in.")]
    assert [r["action"] for r in records] == ["sign_in.fail"] * 5 + ["sign_in.refuse"]
    assert [r["after"]["name"] for r in records] == [  # type: ignore[index]
        "JPN-viewer",
        "no-such-user",
        "x" * 99 + "…",
        "JPN-viewer",
        "JPN-viewer",
        "JPN-viewer",
    ]
    assert all(r["after"]["address"] == "127.0.0.1" for r in records)  # type: ignore[index]
    assert records[-1]["after"]["code"] == "SIGN_IN_LOCKED"  # type: ignore[index]
    # A real user's failures are their nation's to audit; a name nobody has is nobody's.
    assert [r["nation"] for r in records] == ["JPN", None, None, "JPN", "JPN", "JPN"]
    # No password, wrong or right, anywhere in the log.
    whole = json.dumps(site.audit())
    for password in [*secrets, password_of("JPN-viewer")]:
        assert password not in whole
    # The chain holds, with the failures in it.
    verified = acsa("audit", "verify", "--db", site.db_url)
    assert verified.code == 0, verified.stdout + verified.stderr
    # JPN's auditor reads JPN's user's failures through the API.
    auditor = add_people(site.db_url, ("JPN-auditor",))["JPN-auditor"]
    site.people["JPN-auditor"] = auditor
    log = site.api("GET", "/audit", "JPN-auditor", params={"limit": 500})
    assert log.status_code == 200, log.text
    seen = [r for r in log.json() if str(r["action"]).startswith("sign_in.")]
    assert len(seen) == 4
    assert all("no-such-user" not in json.dumps(r) for r in seen)


def _page_without_tokens(answer: httpx.Response) -> str:
    return re.sub(r'value="[A-Za-z0-9_\-]{20,}"', 'value=""', answer.text)


def test_the_answer_is_the_same_whether_the_user_exists_or_not(serve):
    site = serve(LENIENT, ("JPN-viewer", "JPN-admin", "JPN-finance"))
    switched_off = site.api("POST", "/users/JPN-finance", "JPN-admin", json={"active": False})
    assert switched_off.status_code == 200
    cases = {"real": "JPN-viewer", "unknown": "JPN-nobody", "switched off": "JPN-finance"}
    answers = {case: site.fail(name) for case, name in cases.items()}
    pages = {case: _page_without_tokens(a) for case, a in answers.items()}
    assert pages["real"] == pages["unknown"] == pages["switched off"]
    assert {code_of(a) for a in answers.values()} == {"UNAUTHENTICATED"}
    # And in about the same time: a password hash is checked in every case.
    times: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(7):
        for case, name in cases.items():
            started = time.perf_counter()
            site.fail(name)
            times[case].append(time.perf_counter() - started)
    medians = {case: statistics.median(t) for case, t in times.items()}
    assert max(medians.values()) < 2.5 * min(medians.values()), medians


def test_throttled_answers_are_the_same_for_unknown_names(serve):
    site = serve(
        {
            "ACSA_SIGN_IN_FREE_FAILURES": "1000",
            "ACSA_SIGN_IN_LOCK_AFTER": "2",
            "ACSA_SIGN_IN_ADDRESS_LOCK_AFTER": "1000",
        }
    )
    for name in ("JPN-viewer", "JPN-nobody"):
        site.fail(name)
        site.fail(name)
    real = site.attempt("JPN-viewer", "x")[0]
    unknown = site.attempt("JPN-nobody", "x")[0]
    assert real.status_code == unknown.status_code == 429
    assert _page_without_tokens(real) == _page_without_tokens(unknown)
    assert code_of(real) == code_of(unknown) == "SIGN_IN_LOCKED"


# --- sessions and tokens end with a change of password, roles or state -------------------------

CHANGES = {
    "password": {"password": "a-new-password-1"},
    "roles": {"roles": ["viewer", "requester"]},
    "switch-off": {"active": False},
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_ends_every_session_and_token_of_the_user(serve, change):
    site = serve(LENIENT)
    browser = site.sign_in("JPN-viewer")
    other = site.sign_in("JPN-viewer")
    token = site.people["JPN-viewer"].token
    second = site.api("POST", "/tokens", "JPN-viewer", json={"name": "second"}).json()["token"]
    for bearer in (token, second):
        whoami = httpx.get(
            site.server.base + "/api/v1/whoami", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert whoami.status_code == 200
    assert browser.get("/").status_code == 200
    # The language is not a credential: changing it ends nothing.
    assert (
        site.api("POST", "/users/JPN-viewer", "JPN-admin", json={"language": "ja"}).status_code
        == 200
    )
    assert browser.get("/").status_code == 200

    changed = site.api("POST", "/users/JPN-viewer", "JPN-admin", json=CHANGES[change])
    assert changed.status_code == 200, changed.text

    for b in (browser, other):
        page = b.get("/")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
        # A form posted with the old session is not taken either.
        assert b.post("/logout", data={"csrf": "x"}).status_code == 303
    for bearer in (token, second):
        whoami = httpx.get(
            site.server.base + "/api/v1/whoami", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert whoami.status_code == 401
        assert whoami.json()["code"] == "UNAUTHENTICATED"
    if change == "switch-off":
        # Switched on again: what was ended stays ended.
        back = site.api("POST", "/users/JPN-viewer", "JPN-admin", json={"active": True})
        assert back.status_code == 200
        whoami = httpx.get(
            site.server.base + "/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}
        )
        assert whoami.status_code == 401
        assert browser.get("/").status_code == 303
    # The admin who made the change keeps their own session and token.
    assert site.api("GET", "/whoami", "JPN-admin").status_code == 200
    [record] = [
        r
        for r in site.audit()
        if r["action"] == "user.update" and "ended" in r["after"]  # type: ignore[operator]
    ]
    ended = record["after"]["ended"]  # type: ignore[index]
    assert ended["sessions"] == 2
    assert len(ended["tokens"]) == 2
    verified = acsa("audit", "verify", "--db", site.db_url)
    assert verified.code == 0, verified.stdout + verified.stderr


def test_a_users_own_password_change_through_the_cli_ends_their_sessions(serve):
    site = serve(LENIENT)
    browser = site.sign_in("JPN-viewer")
    done = acsa(
        "users", "update", "JPN-viewer", "--password", "another-password-2", "--db", site.db_url
    )
    assert done.code == 0, done.stderr
    assert browser.get("/").status_code == 303
    answer, fresh = site.attempt("JPN-viewer", "another-password-2")
    assert answer.status_code == 303
    assert fresh.get("/").status_code == 200


# --- token lifetimes --------------------------------------------------------------------------


def _expires_in_days(issued: dict[str, object]) -> float:
    expires = datetime.fromisoformat(str(issued["expires_at"]))
    created = datetime.fromisoformat(str(issued["created_at"]))
    return (expires - created) / timedelta(days=1)


BAD_DAYS = [-1, 0, 91, 99999999, 10**30]


def test_token_lifetimes_are_bounded_through_the_api(serve):
    site = serve(LENIENT, ("JPN-viewer", "JPN-admin"))
    for days in BAD_DAYS:
        refused = site.api("POST", "/tokens", "JPN-viewer", json={"expires_days": days})
        assert refused.status_code == 422, (days, refused.text)
        assert refused.json()["code"] == "INVALID_FIELD"
        assert refused.json()["errors"][0]["field"] == "expires_days"
    # A token cannot mint one that never expires; an admin can, asking for it.
    refused = site.api("POST", "/tokens", "JPN-viewer", json={"never_expires": True})
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
    both = site.api("POST", "/tokens", "JPN-admin", json={"never_expires": True, "expires_days": 5})
    assert both.status_code == 422
    forever = site.api("POST", "/tokens", "JPN-admin", json={"never_expires": True})
    assert forever.status_code == 201, forever.text
    assert forever.json()["expires_at"] is None
    # Left out or null: 90 days.
    for body in ({}, {"expires_days": None}):
        default = site.api("POST", "/tokens", "JPN-viewer", json=body)
        assert default.status_code == 201
        assert _expires_in_days(default.json()) == 90
    thirty = site.api("POST", "/tokens", "JPN-viewer", json={"expires_days": 30})
    assert _expires_in_days(thirty.json()) == 30
    # Nothing refused was stored.
    engine = make_engine(site.db_url)
    try:
        tokens = users.list_tokens(UnitOfWork(engine, read_only=True), "JPN-viewer")
    finally:
        engine.dispose()
    assert len(tokens) == 4  # the first, two defaults and the 30-day one
    assert all(t.expires_at is not None for t in tokens)


def test_token_lifetimes_are_bounded_through_the_command(serve):
    site = serve(LENIENT, ("JPN-viewer", "JPN-admin"))
    for days in [*BAD_DAYS, 10**20]:
        done = acsa("tokens", "new", "JPN-viewer", "--expires-days", str(days), "--db", site.db_url)
        assert done.code == 2, (days, done.stdout, done.stderr)
        assert "INVALID_FIELD" in done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    # A smaller maximum is the default, and the bound.
    small = {"ACSA_TOKEN_MAX_DAYS": "30"}
    made = acsa("tokens", "new", "JPN-viewer", "--json", "--db", site.db_url, env=small)
    assert made.code == 0, made.stderr
    assert _expires_in_days(made.json) == 30
    over = acsa(
        "tokens", "new", "JPN-viewer", "--expires-days", "31", "--db", site.db_url, env=small
    )
    assert over.code == 2
    # A bad maximum is refused with its name, never a traceback.
    bad = acsa("tokens", "new", "JPN-viewer", "--db", site.db_url, env={"ACSA_TOKEN_MAX_DAYS": "0"})
    assert bad.code == 2, bad.stdout + bad.stderr
    assert "ACSA_TOKEN_MAX_DAYS" in bad.stdout + bad.stderr
    # The operator asks for one that never expires explicitly.
    forever = acsa("tokens", "new", "JPN-viewer", "--never-expires", "--json", "--db", site.db_url)
    assert forever.code == 0, forever.stderr
    assert forever.json["expires_at"] is None

    # Through the server: a viewer may not, an admin may.
    def remote(who: str, *args: str) -> Result:
        env = {"ACSA_SERVER": site.server.base, "ACSA_TOKEN": site.people[who].token}
        return run("tokens", "new", who, *args, env=env)

    refused = remote("JPN-viewer", "--never-expires")
    assert refused.code == 2
    assert "FORBIDDEN" in refused.stdout + refused.stderr
    for days in ("-1", "0", "99999999"):
        done = remote("JPN-viewer", "--expires-days", days)
        assert done.code == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    allowed = remote("JPN-admin", "--never-expires", "--json")
    assert allowed.code == 0, allowed.stderr
    assert allowed.json["expires_at"] is None
    assert datetime.now(UTC) - datetime.fromisoformat(allowed.json["created_at"]) < timedelta(
        minutes=5
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACSA_SIGN_IN_LOCK_AFTER", "0"),
        ("ACSA_SIGN_IN_DELAY_SECONDS", "x"),
        ("ACSA_TOKEN_MAX_DAYS", "-1"),
    ],
)
def test_a_server_with_a_setting_out_of_bounds_does_not_start(db_url, name, value):
    done = acsa("serve", "--db", db_url, "--port", "1", env={name: value})
    assert done.code == 2
    assert name in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
