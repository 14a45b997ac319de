"""Browser tests: Playwright driving Debian's Chromium, headless, against a real `acsa serve`.

Every page load is watched: a console error, an uncaught exception, a failed request or an
HTTP error response fails the test (unless the test says it expects that status). Screenshots
of each page go to ``test-artifacts/screenshots/`` (ACSA_SCREENSHOTS overrides).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)
from sqlalchemy import Engine

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.services import users
from tests.api.server import ROLES, Person, Server

#: How long an expectation waits (a page, a live check): a busy CI machine is slow.
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("ACSA_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))


def chromium_path() -> str:
    """Debian's Chromium (installed by `make test`); the tests fail, never skip, without it."""
    for candidate in (
        os.environ.get("ACSA_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium is needed by the browser tests: `make test` installs Debian's chromium")


#: In the page: load every image now, and wait until each has loaded or failed.
LOAD_IMAGES = """
() => Promise.all(Array.from(document.images).map((img) => {
  img.loading = 'eager';
  return img.complete ? null : new Promise((done) => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
  });
}))
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), headless=True)
        yield launched
        launched.close()


@dataclass
class Watch:
    """What went wrong while a page was used."""

    problems: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        status = re.search(r"responded with a status of (\d+)", message.text)
        if status and int(status.group(1)) in self.expected_statuses:
            return  # the browser's echo of an HTTP status the test expects
        self.problems.append(f"console error: {message.text}")

    def page_error(self, error: Exception) -> None:
        self.problems.append(f"uncaught: {error}")

    def failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":
            # the browser dropped the request itself because the page moved on (a favicon
            # still loading when the test clicks to the next page): the server's own failures
            # show as an HTTP status or a connection error, which stay problems
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def response(self, response: Response) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )


class People(dict[str, Person]):
    """The people of the site, each made when first named (``JPN-approver``, ``FRA-all``...):
    a user of the nation with the role (``-all``: every role), the password
    ``password-<name>`` and an API token. Each argon2 password costs about half a second, so
    only the people a test uses are made."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def __missing__(self, name: str) -> Person:
        nation, role = name.split("-", 1)
        roles = ROLES if role == "all" else (role,)
        doc = {"name": name, "nation": nation, "roles": list(roles), "password": f"password-{name}"}
        users.add_user(UnitOfWork(self.engine), doc, actor="test")
        token = users.issue_token(UnitOfWork(self.engine), name, actor="test").token
        person = self[name] = Person(name, nation, tuple(roles), token)
        return person


@dataclass
class Site:
    """A server, its people, and a way to open a signed-in browser as one of them."""

    server: Server
    people: People
    browser: Browser
    test_name: str
    contexts: list[BrowserContext] = field(default_factory=list)
    watches: list[Watch] = field(default_factory=list)
    shots: int = 0

    def open(self, viewport: tuple[int, int] = (1280, 900)) -> tuple[Page, Watch]:
        context = self.browser.new_context(
            base_url=self.server.base, viewport={"width": viewport[0], "height": viewport[1]}
        )
        self.contexts.append(context)
        page = context.new_page()
        watch = Watch()
        page.on("console", watch.console)
        page.on("pageerror", watch.page_error)
        page.on("requestfailed", watch.failed)
        page.on("response", watch.response)
        self.watches.append(watch)
        return page, watch

    def sign_in(self, name: str, password: str | None = None) -> tuple[Page, Watch]:
        self.people[name]  # made now if not yet
        page, watch = self.open()
        page.goto("/login")
        page.fill("#name", name)
        page.fill("#password", password or f"password-{name}")
        page.click("button[type=submit]:not([name=language])")
        page.wait_for_url(re.compile(r".*/(\?.*)?$"))
        page.evaluate(LOAD_IMAGES)  # the dashboard's chart, before the test moves on
        return page, watch

    def shot(self, page: Page, label: str) -> Path:
        """Save a full-page screenshot named after the test and ``label``, once every image of
        the page is in (lazy ones too: a full page shows them all, and one left loading would
        be cut off by the next page)."""
        page.evaluate(LOAD_IMAGES)
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.test_name}-{self.shots:02d}-{label}")
        path = SCREENSHOTS / f"{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def site(
    db_url: str, browser: Browser, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Site]:
    """A server over a fresh database; its people (``JPN-approver``, ``AUS-all``, ``FRA-all``...)
    are made as the test names them, and ``JPN-all`` before the test starts (a test may sign
    in through the form itself)."""
    engine = make_engine(db_url)
    try:
        people = People(engine)
        people["JPN-all"]
        with Server(db_url, log=tmp_path / "serve.log") as server:
            s = Site(server, people, browser, request.node.name)
            yield s
            s.close()
    finally:
        engine.dispose()
    problems = [p for w in s.watches for p in w.problems]
    assert not problems, (
        "the pages had problems:\n" + "\n".join(problems) + server_errors(tmp_path / "serve.log")
    )


def server_errors(log: Path) -> str:
    """What the server logged of errors (answers of 500 and up, tracebacks), for a failure."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    found = [n for n, line in enumerate(lines) if re.search(r'" 5\d\d |Traceback|ERROR', line)]
    shown = sorted({m for n in found for m in range(n, min(n + 20, len(lines)))})
    return "\n\nserver log:\n" + "\n".join(lines[m] for m in shown) if shown else ""
