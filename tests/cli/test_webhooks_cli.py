"""acsa webhooks add|list|remove|log, acsa users notify and acsa alerts deliver (the cron path)
on a real SQLite file: a notice POSTed to a real receiver on 127.0.0.1, once, and logged."""

from __future__ import annotations

from datetime import UTC, datetime

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.notice_repository import NoticeRepository
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.access import Role
from acsa.domain.notices import Notice, NoticeKind
from tests.delivery_servers import webhook_receiver
from tests.e2e.cli import Result, run

SECRET = "cli-webhook-key-0123456789"


def acsa(db: str, *args: str) -> Result:
    result = run(*args, "--db", db, env={"COLUMNS": "200"})
    assert result.code == 0, (args, result.stdout, result.stderr)
    return result


def _notice(db: str) -> int:
    engine = make_engine(db)
    try:
        notice = Notice(
            kind=NoticeKind.PAY,
            nation="JPN",
            roles=(Role.FINANCE,),
            subject="invoice:JPN-1",
            marker="m",
            as_of=datetime.now(UTC).date(),
            params={
                "invoice": "JPN-1",
                "order": "7",
                "supplier": "AUS",
                "amount": "5 JPY",
                "due": "x",
            },
            order_id=7,
        )
        with UnitOfWork(engine) as uow:
            made = NoticeRepository(uow.connection).add_if_absent(notice, datetime.now(UTC))
            uow.commit()
        assert made is not None
        return made
    finally:
        engine.dispose()


def test_webhooks_from_the_command_line_and_a_cron_delivery(sqlite_url: str) -> None:
    db = sqlite_url
    acsa(db, "users", "add", "ops", "--nation", "JPN", "--role", "admin", "--actor", "op")
    with webhook_receiver(SECRET) as hook:
        made = acsa(
            db,
            "webhooks",
            "add",
            hook.url,
            "--kind",
            "pay",
            "--secret",
            SECRET,
            "--nation",
            "JPN",
            "--json",
        ).json
        assert (made["secret"], made["kinds"], made["active"]) == (SECRET, ["pay"], True)
        other = acsa(
            db, "webhooks", "add", "https://hooks.jpn.example/all", "--nation", "JPN", "--json"
        ).json
        listed = acsa(db, "--lang", "ja", "webhooks", "list", "--nation", "JPN").stdout
        for words in ("ウェブフック", "種別", "鍵", "有効", hook.url, SECRET[:6] + "…"):
            assert words in listed, listed
        assert SECRET not in listed
        gone = acsa(db, "webhooks", "remove", str(other["id"]), "--nation", "JPN", "--json").json
        assert gone["active"] is False
        refused = run("webhooks", "remove", str(made["id"]), "--nation", "AUS", "--db", db)
        assert refused.code != 0
        assert "WEBHOOK_NOT_FOUND" in refused.stdout + refused.stderr

        notice_id = _notice(db)
        first = acsa(db, "alerts", "deliver", "--json").json
        assert (first["planned"], first["sent"], first["failed"]) == (1, 1, 0), first
        again = acsa(db, "alerts", "deliver", "--json").json
        assert (again["planned"], again["sent"]) == (0, 0)

    [(_delivery, body)] = hook.taken
    assert (body["id"], body["kind"], body["order_id"]) == (notice_id, "pay", 7)
    log = acsa(db, "webhooks", "log", "--nation", "JPN", "--json").json
    assert [(a["ok"], a["status"], a["target"]) for a in log] == [
        (True, 204, f"webhook:{made['id']}")
    ]
    shown = acsa(db, "--lang", "ja", "webhooks", "log", "--nation", "JPN").stdout
    assert "配信ログ" in shown
    assert "送信済み" in shown

    chosen = acsa(
        db,
        "users",
        "notify",
        "--email",
        "ops@jpn.example",
        "--notify",
        "each",
        "--actor",
        "ops",
        "--json",
    ).json
    assert chosen == {"email": "ops@jpn.example", "notify": "each"}
    bad = run("users", "notify", "--notify", "hourly", "--actor", "ops", "--db", db)
    assert bad.code != 0
    assert "notify" in bad.stdout + bad.stderr
