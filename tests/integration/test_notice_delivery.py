"""Notices by e-mail and by webhook, on a real SQLite file and a real PostgreSQL, sent to a real
SMTP relay (STARTTLS with a certificate made by the test, a password) and a real HTTP receiver
on 127.0.0.1 that checks each signature."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, update

from acsa.adapters.db import tables as t
from acsa.adapters.db.delivery_repository import DeliveryRepository
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.notice_repository import NoticeRepository
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.adapters.smtp import Mail, MailError, SmtpMailer
from acsa.adapters.webhook_sender import WebhookPoster
from acsa.commands import PlaceOrder
from acsa.domain.access import Role
from acsa.domain.errors import AcsaError, Code
from acsa.domain.notice_delivery import Channel, smtp_settings
from acsa.domain.notices import Notice, NoticeKind
from acsa.i18n.notice_words import notice_text
from acsa.services import notice_delivery as service
from acsa.services import users
from acsa.services.handlers import handle
from tests.delivery_servers import Relay, smtp_relay, webhook_receiver
from tests.orders_data import order_doc

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def relay(tmp_path: Path):
    with smtp_relay(tmp_path) as running:
        yield running


def _user(engine: Engine, name: str, language: str, email: str | None, notify: str) -> int:
    data = {"name": name, "nation": "JPN", "roles": ["logistics"], "language": language}
    made = users.add_user(UnitOfWork(engine), data)
    if email is not None:
        service.set_notify(UnitOfWork(engine), name, "operator", email=email, notify=notify)
    return made.id


def _notice(
    engine: Engine, user_ids: list[int], number: int, at: datetime, order_id: int | None = None
) -> int:
    notice = Notice(
        kind=NoticeKind.ACCEPT,
        nation="JPN",
        roles=(Role.LOGISTICS,),
        subject=f"order:{number}",
        marker=f"m{number}",
        as_of=at.date(),
        params={"order": f"JPN-{number}", "requester": "AUS", "supplier": "JPN"},
        order_id=order_id,
        due=date(2027, 3, 31),
    )
    with UnitOfWork(engine) as uow:
        repo = NoticeRepository(uow.connection)
        notice_id = repo.add_if_absent(notice, at)
        assert notice_id is not None
        repo.deliver(notice_id, user_ids)
        uow.commit()
    return notice_id


def _delivery(relay: Relay, public: str = "https://acsa.example") -> service.Delivery:
    settings = smtp_settings(relay.env(public=public))
    assert settings is not None
    return service.Delivery(SmtpMailer(settings), WebhookPoster(), settings.public_url, 7)


def _attempts(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.delivery_attempts).order_by(t.delivery_attempts.c.id))
        return [dict(r._mapping) for r in rows]


def test_each_mail_reaches_its_reader_once_in_their_language_with_the_link(engine, relay):
    en = _user(engine, "kate", "en", "kate@jpn.example", "each")
    ja = _user(engine, "sato", "ja", "sato@jpn.example", "each")
    _user(engine, "quiet", "en", "quiet@jpn.example", "off")
    nobody = _user(engine, "noaddress", "en", None, "off")
    notice_id = _notice(engine, [en, ja, nobody], 7, T0)

    report = service.deliver_due(engine, T0, _delivery(relay))
    assert (report.planned, report.sent, report.failed) == (2, 2, 0), report.errors

    [to_kate] = relay.to("kate@jpn.example")
    [to_sato] = relay.to("sato@jpn.example")
    assert relay.to("quiet@jpn.example") == []
    assert to_kate.tls
    assert to_kate.signed_in
    en_subject, en_body = notice_text(
        "accept", {"order": "JPN-7", "requester": "AUS", "supplier": "JPN"}, "en"
    )
    ja_subject, ja_body = notice_text(
        "accept", {"order": "JPN-7", "requester": "AUS", "supplier": "JPN"}, "ja"
    )
    assert en_subject != ja_subject
    assert to_kate.subject == f"[acsa] {en_subject}"
    assert to_sato.subject == f"[acsa] {ja_subject}"
    assert en_body in to_kate.body
    assert ja_body in to_sato.body
    assert "https://acsa.example/inbox" in to_kate.body
    assert "アカウント" in to_sato.body
    assert to_sato.message["Content-Language"] == "ja"
    assert str(to_kate.message["From"]) == "acsa@jpn.example"

    # A second pass (a restart, a later tick) sends nothing again.
    again = service.deliver_due(engine, T0 + timedelta(minutes=5), _delivery(relay))
    assert (again.planned, again.sent) == (0, 0)
    assert len(relay.mails) == 2
    states = {d["target"]: d["state"] for d in service.deliveries_of(engine, [notice_id])}
    assert states == {"kate@jpn.example": "sent", "sato@jpn.example": "sent"}


def test_a_mail_about_an_order_links_to_its_page(engine, relay):
    kate = _user(engine, "kate", "en", "kate@jpn.example", "each")
    _notice(engine, [kate], 42, T0, order_id=42)
    report = service.deliver_due(engine, T0, _delivery(relay, public="https://acsa.jpn.example/"))
    assert report.sent == 1, report.errors
    [mail] = relay.to("kate@jpn.example")
    assert "https://acsa.jpn.example/orders/42" in mail.body.splitlines()


def test_digest_sends_one_mail_a_day_listing_every_notice(engine, relay):
    ja = _user(engine, "sato", "ja", "sato@jpn.example", "digest")
    ids = [_notice(engine, [ja], n, T0 + timedelta(minutes=n)) for n in (1, 2, 3)]
    now = T0 + timedelta(minutes=10)  # 09:10, past today's 07:00: the digest goes tomorrow

    report = service.deliver_due(engine, now, _delivery(relay))
    assert (report.planned, report.sent) == (3, 0)
    assert relay.mails == []
    service.deliver_due(engine, now.replace(hour=23), _delivery(relay))
    assert relay.mails == []

    tomorrow = datetime(2027, 3, 2, 7, 0, tzinfo=UTC)
    report = service.deliver_due(engine, tomorrow, _delivery(relay))
    assert (report.digests, report.sent) == (1, 3), report.errors
    [digest] = relay.to("sato@jpn.example")
    assert digest.subject == "acsa: 通知 3 件"
    for n in (1, 2, 3):
        subject, _ = notice_text(
            "accept", {"order": f"JPN-{n}", "requester": "AUS", "supplier": "JPN"}, "ja"
        )
        assert subject in digest.body
    assert "https://acsa.example/inbox" in digest.body
    assert {d["state"] for d in service.deliveries_of(engine, ids)} == {"sent"}
    assert len(_attempts(engine)) == 3

    service.deliver_due(engine, tomorrow + timedelta(hours=1), _delivery(relay))
    assert len(relay.mails) == 1


def test_a_relay_refusing_the_password_is_retried_then_abandoned(engine, relay):
    kate = _user(engine, "kate", "en", "kate@jpn.example", "each")
    notice_id = _notice(engine, [kate], 1, T0)
    env = {**relay.env(), "ACSA_SMTP_URL": relay.url(password="wrong-password")}
    settings = smtp_settings(env)
    assert settings is not None
    wrong = service.Delivery(SmtpMailer(settings), None, "", 7)

    now = T0
    waits = []
    for _ in range(6):
        report = service.deliver_due(engine, now, wrong)
        assert report.failed == 1
        assert report.sent == 0
        [row] = service.deliveries_of(engine, [notice_id])
        if row["state"] == "abandoned":
            break
        waits.append(row["next_at"] - now)
        now = row["next_at"]
    assert waits == [timedelta(seconds=s) for s in (30, 120, 480, 1920, 7680)]
    [row] = service.deliveries_of(engine, [notice_id])
    assert row["state"] == "abandoned"
    assert row["attempts"] == 6
    assert "SMTPAuthenticationError" in row["last_error"]
    assert relay.mails == []
    assert service.deliver_due(engine, now + timedelta(days=1), wrong).failed == 0


def test_the_mailer_refuses_a_relay_it_cannot_trust(tmp_path, relay):
    untrusting = smtp_settings({**relay.env(), "ACSA_SMTP_CA_FILE": ""})
    assert untrusting is not None
    with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
        SmtpMailer(untrusting)(Mail("kate@jpn.example", "s", "b"))
    assert relay.mails == []


def test_the_webhook_is_retried_until_it_answers_and_logs_each_attempt(engine, relay):
    kate = _user(engine, "kate", "en", None, "off")
    made = service.add_webhook(UnitOfWork(engine), "JPN", "http://127.0.0.1:1/x", [], "admin")
    secret = made["secret"]
    with webhook_receiver(secret, fail_first=2) as hook:
        with UnitOfWork(engine) as uow:
            uow.connection.execute(
                t.webhooks.update().where(t.webhooks.c.id == made["id"]).values(url=hook.url)
            )
            uow.commit()
        notice_id = _notice(engine, [kate], 5, T0 + timedelta(seconds=1))
        delivery = service.Delivery(None, WebhookPoster(), "", 7)

        first = service.deliver_due(engine, T0 + timedelta(seconds=1), delivery)
        assert (first.planned, first.failed) == (1, 1)
        # Not due yet: nothing is tried before its time.
        assert service.deliver_due(engine, T0 + timedelta(seconds=20), delivery).failed == 0
        second = service.deliver_due(engine, T0 + timedelta(seconds=31), delivery)
        assert second.failed == 1
        third = service.deliver_due(engine, T0 + timedelta(seconds=31 + 120), delivery)
        assert third.sent == 1, third.errors
        later = service.deliver_due(engine, T0 + timedelta(hours=5), delivery)
        assert (later.planned, later.sent, later.failed) == (0, 0, 0)

    assert hook.seen == [500, 500, 204]
    [(delivery_id, body)] = hook.taken
    [row] = service.deliveries_of(engine, [notice_id])
    assert delivery_id == str(row["id"])
    assert row["state"] == "sent"
    assert row["attempts"] == 3
    assert body["id"] == notice_id
    assert body["kind"] == "accept"
    assert body["nation"] == "JPN"
    assert body["params"]["order"] == "JPN-5"
    assert body["due"] == "2027-03-31"
    assert set(body) == {
        "id",
        "key",
        "kind",
        "nation",
        "order_id",
        "subject",
        "params",
        "due",
        "as_of",
        "created_at",
    }
    log = service.delivery_log(UnitOfWork(engine), "JPN", made["id"])
    assert [(a["ok"], a["status"]) for a in log] == [(True, 204), (False, 500), (False, 500)]
    assert log[-1]["error"] == "HTTP 500"


def test_a_webhook_takes_only_its_kinds_and_a_removed_one_nothing(engine):
    kate = _user(engine, "kate", "en", None, "off")
    with webhook_receiver("k" * 20) as hook:
        picky = service.add_webhook(
            UnitOfWork(engine), "JPN", hook.url, ["pay"], "admin", secret="k" * 20
        )
        every = service.add_webhook(
            UnitOfWork(engine), "JPN", hook.url, [], "admin", secret="k" * 20
        )
        gone = service.add_webhook(
            UnitOfWork(engine), "JPN", hook.url, [], "admin", secret="k" * 20
        )
        removed = service.remove_webhook(UnitOfWork(engine), "JPN", gone["id"], "admin")
        assert removed["active"] is False
        _notice(engine, [kate], 1, T0 + timedelta(seconds=1))
        report = service.deliver_due(
            engine, T0 + timedelta(seconds=1), service.Delivery(None, WebhookPoster())
        )
        assert (report.planned, report.sent) == (1, 1)
    targets = [d["target"] for d in service.deliveries_of(engine, [1, 2, 3, 4])]
    assert targets == [f"webhook:{every['id']}"]
    assert picky["id"] != every["id"]
    listed = service.list_webhooks(UnitOfWork(engine), "JPN")
    assert [w["active"] for w in listed] == [True, True, False]
    assert all(w["secret_prefix"].startswith("kkkkkk") and "secret" not in w for w in listed)
    with pytest.raises(AcsaError) as refused:
        service.remove_webhook(UnitOfWork(engine), "AUS", every["id"], "admin")
    assert refused.value.violations[0].code is Code.WEBHOOK_NOT_FOUND


def _runner(url: str, now: datetime, delivery: service.Delivery, barrier, reports, errors):
    engine = make_engine(url)
    try:
        barrier.wait()
        reports.append(service.deliver_due(engine, now, delivery))
    except BaseException as exc:
        errors.append(exc)
    finally:
        engine.dispose()


def test_two_runners_at_once_send_each_mail_and_webhook_once(engine, db_url, relay):
    readers = [
        _user(engine, f"reader{n}", "en", f"reader{n}@jpn.example", "each") for n in range(4)
    ]
    secret = "s" * 32
    with webhook_receiver(secret) as hook:
        service.add_webhook(UnitOfWork(engine), "JPN", hook.url, [], "admin", secret=secret)
        ids = [_notice(engine, readers, n, T0 + timedelta(seconds=1)) for n in range(5)]
        delivery = _delivery(relay)
        for round_ in range(2):
            barrier = threading.Barrier(2)
            reports: list[service.DeliveryReport] = []
            errors: list[BaseException] = []
            now = T0 + timedelta(seconds=2 + round_)
            threads = [
                threading.Thread(
                    target=_runner, args=(db_url, now, delivery, barrier, reports, errors)
                )
                for _ in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not errors, errors
        deliveries = service.deliver_due(engine, T0 + timedelta(minutes=1), delivery)
        assert deliveries.sent == 0

    assert len(relay.mails) == 4 * 5
    for n in range(4):
        assert len(relay.to(f"reader{n}@jpn.example")) == 5
    delivered = [d for d, _ in hook.taken]
    assert len(delivered) == 5
    assert len(set(delivered)) == 5
    assert sorted(body["id"] for _, body in hook.taken) == sorted(ids)
    rows = service.deliveries_of(engine, ids)
    assert len(rows) == 5 * 5
    assert {r["state"] for r in rows} == {"sent"}
    assert {r["attempts"] for r in rows} == {1}
    assert len(_attempts(engine)) == 25


def test_a_persons_address_and_choice_are_checked_and_audited(engine):
    _user(engine, "kate", "en", None, "off")
    with pytest.raises(AcsaError) as bad:
        service.set_notify(UnitOfWork(engine), "kate", "kate", email="kate@", notify="each")
    assert bad.value.violations[0].field == "email"
    with pytest.raises(AcsaError) as needs:
        service.set_notify(UnitOfWork(engine), "kate", "kate", notify="digest")
    assert needs.value.violations[0].field == "email"
    with pytest.raises(AcsaError) as choice:
        service.set_notify(
            UnitOfWork(engine), "kate", "kate", email="k@jpn.example", notify="daily"
        )
    assert choice.value.violations[0].field == "notify"
    done = service.set_notify(
        UnitOfWork(engine), "kate", "kate", email=" k@jpn.example ", notify="digest"
    )
    assert done == {"email": "k@jpn.example", "notify": "digest"}
    with engine.connect() as conn:
        audit = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.subject).where(
                t.audit_log.c.action == "user.notify"
            )
        ).all()
    assert [tuple(a) for a in audit] == [("user.notify", "user:kate")]
    cleared = service.set_notify(UnitOfWork(engine), "kate", "kate", email="", notify="off")
    assert cleared == {"email": None, "notify": "off"}


def test_a_person_who_turns_mail_off_before_the_digest_gets_none(engine, relay):
    sato = _user(engine, "sato", "ja", "sato@jpn.example", "digest")
    kate = _user(engine, "kate", "en", "kate@jpn.example", "each")
    ids = [_notice(engine, [sato, kate], n, T0) for n in (1, 2)]
    service.deliver_due(engine, T0, _delivery(relay))
    assert len(relay.to("kate@jpn.example")) == 2
    service.set_notify(UnitOfWork(engine), "sato", "sato", notify="off")

    tomorrow = datetime(2027, 3, 2, 7, 0, tzinfo=UTC)
    report = service.deliver_due(engine, tomorrow, _delivery(relay))
    assert (report.digests, report.abandoned) == (0, 2)
    assert relay.to("sato@jpn.example") == []
    digest = [d for d in service.deliveries_of(engine, ids) if d["channel"] == "digest"]
    assert [d["state"] for d in digest] == ["abandoned", "abandoned"]
    assert "asks no more" in str(digest[0]["last_error"])
    assert service.deliver_due(engine, tomorrow + timedelta(days=1), _delivery(relay)).sent == 0


def test_a_relay_that_offers_no_starttls_gets_nothing(tmp_path):
    from aiosmtpd.controller import Controller

    from tests.delivery_servers import Relay, _Handler, free_port

    plain = Relay(port=free_port(), ca_file=tmp_path / "none.pem")
    controller = Controller(_Handler(plain), hostname="127.0.0.1", port=plain.port)
    controller.start()
    try:
        settings = smtp_settings(
            {"ACSA_SMTP_URL": plain.url(), "ACSA_SMTP_FROM": "acsa@jpn.example"}
        )
        assert settings is not None
        assert settings.username == "acsa-relay"
        with pytest.raises(MailError, match="does not offer STARTTLS"):
            SmtpMailer(settings)(Mail("kate@jpn.example", "s", "b"))
    finally:
        controller.stop()
    assert plain.mails == []


def test_a_delivery_held_by_a_runner_that_died_is_taken_back_after_its_hold(engine, relay):
    kate = _user(engine, "kate", "en", "kate@jpn.example", "each")
    notice_id = _notice(engine, [kate], 1, T0)
    none = service.Delivery(None, None)
    assert service.deliver_due(engine, T0, none).planned == 0  # no relay: nothing planned
    with UnitOfWork(engine) as uow:
        repo = DeliveryRepository(uow.connection)
        assert repo.plan(notice_id, Channel.EMAIL, "kate@jpn.example", kate, T0)
        [row] = repo.due(T0, ["email"], 10)
        assert repo.claim(row, T0 + timedelta(seconds=600))  # taken, then the runner died
        assert not repo.claim(row, T0 + timedelta(seconds=600))  # as read: taken already
        uow.commit()
    early = service.deliver_due(engine, T0 + timedelta(seconds=599), _delivery(relay))
    assert (early.planned, early.sent) == (0, 0)
    late = service.deliver_due(engine, T0 + timedelta(seconds=600), _delivery(relay))
    assert late.sent == 1, late.errors
    assert len(relay.to("kate@jpn.example")) == 1


def test_the_points_of_contact_of_the_orders_arrangement_are_told(engine, relay):
    placed, _ = handle(UnitOfWork(engine), PlaceOrder.from_wire(order_doc()), "AUS-requester")
    contacts = [
        {"name": "Supply desk", "email": "poc@jpn.example"},
        {"name": "Kate again", "email": "kate@jpn.example"},
        {"name": "No address", "email": "by phone"},
    ]
    body = {
        "sides": {
            "JPN": {"contacts": contacts},
            "AUS": {"contacts": [{"name": "AUS desk", "email": "poc@aus.example"}]},
        }
    }
    with engine.begin() as conn:
        made = conn.execute(
            insert(t.arrangements).values(
                agreement_id="JPN-AUS",
                reference="IA-2020-1",
                title="Implementing arrangement",
                signed=date(2020, 1, 1),
                in_force=date(2020, 1, 1),
                payment_term_days=30,
                body=body,
                created_at=T0,
                actor="test",
                updated_at=T0,
            )
        )
        conn.execute(
            update(t.orders)
            .where(t.orders.c.id == placed.id)
            .values(arrangement_id=made.inserted_primary_key[0])
        )
    kate = _user(engine, "kate", "en", "kate@jpn.example", "each")
    _notice(engine, [kate], 1, T0, order_id=placed.id)

    report = service.deliver_due(engine, T0, _delivery(relay))
    assert (report.planned, report.sent) == (2, 2), report.errors
    [to_desk] = relay.to("poc@jpn.example")
    [to_kate] = relay.to("kate@jpn.example")
    assert relay.to("poc@aus.example") == []
    ja_subject, _ = notice_text(
        "accept", {"order": "JPN-1", "requester": "AUS", "supplier": "JPN"}, "ja"
    )
    assert to_desk.subject == f"[acsa] {ja_subject}"  # a JPN contact reads Japanese
    assert "実施取決め" in to_desk.body
    assert f"https://acsa.example/orders/{placed.id}" in to_desk.body.splitlines()
    assert "account" in to_kate.body
    again = service.deliver_due(engine, T0 + timedelta(minutes=1), _delivery(relay))
    assert (again.planned, again.sent) == (0, 0)
    assert len(relay.mails) == 2
