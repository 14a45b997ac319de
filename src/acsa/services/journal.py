"""The books reach the nation's accounting system: its general-ledger mapping (rules that map
acsa's accounts, per partner and currency, to its ledger codes and fund citations) and the
journal export in that mapping (``acsa ledger journal``, GET /api/v1/ledger/journal, the
/ledger/journal page). The pure rules: ``acsa.domain.gl_mapping``.

Who: the installation's operator (the CLI on its own database) for any nation; a signed-in
person for their own nation only. The mapping is read by the nation's finance officers,
auditors and admins, and changed by its finance officers and admins (audited: ``gl_map.set``,
``gl_map.remove``). A period export is read by finance and auditors and records nothing. A
``new`` export (finance) takes every entry of the book not exported before, in id order, up
to the first dated after ``until``; it is recorded (``journal_exports``, audited
``journal.export``) so the next ``new`` export starts after its last entry. Entries are never
changed or deleted (a correction is a reversing entry, a new id), so a line id once exported
never changes and never comes again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy.exc import IntegrityError

from acsa.adapters.db.journal_repository import JournalRepository, StoredRule
from acsa.clock import utc_now
from acsa.domain import limits
from acsa.domain.access import ForbiddenError, Principal, Role
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.gl_mapping import (
    JournalLine,
    check_rule_count,
    contiguous,
    gl_rule,
    journal_lines,
    reconcile,
    totals_by_account,
    totals_by_gl,
)
from acsa.domain.ledger import Account
from acsa.domain.messages import t
from acsa.domain.money import Money
from acsa.schemas.journal import (
    GlRuleOut,
    GlTotalOut,
    JournalExportOut,
    JournalLineOut,
    JournalOut,
    ReconciledOut,
)
from acsa.services.ports import SqlUnitOfWork, UnitOfWork

FORMATS = ("csv", "json")
#: The columns of a journal in CSV, in order (the fields of JournalLineOut).
CSV_COLUMNS = tuple(JournalLineOut.model_fields)
#: The columns of a rules file (``acsa ledger gl-map import``).
RULE_COLUMNS = ("account", "partner", "currency", "gl_code", "fund_citation")
SET_RECORD = "gl_map.set"
REMOVE_RECORD = "gl_map.remove"
EXPORT_RECORD = "journal.export"
READERS = frozenset({Role.FINANCE, Role.AUDITOR, Role.ADMIN})
MAPPERS = frozenset({Role.FINANCE, Role.ADMIN})
EXPORTERS = frozenset({Role.FINANCE, Role.AUDITOR})
RECORDERS = frozenset({Role.FINANCE})


def _repo(uow: UnitOfWork) -> JournalRepository:
    return JournalRepository(cast(SqlUnitOfWork, uow).connection)


def nation_of(principal: Principal | None, nation: str | None) -> str:
    """The nation whose mapping or journal is meant: a signed-in person's own (another named
    is FORBIDDEN); the operator must name one."""
    from acsa.services.ledger import party_code

    code = party_code(nation, "nation")
    if principal is None:
        if code is None:
            raise AcsaError.single(
                Code.MISSING_FIELD, "nation", "{name}: give a nation (e.g. JPN)", name="nation"
            )
        return code
    if code is not None and code != principal.nation:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "nation",
            "the general ledger of {nation} is {nation}'s own",
            nation=code,
        )
    return principal.nation


#: Why a person may not do what they asked (FORBIDDEN), per kind of act.
READ_REFUSED = t(
    "a nation's general-ledger mapping and exports are read by its finance officers, auditors "
    "and admins"
)
MAP_REFUSED = t("a nation's general-ledger mapping is changed by its finance officers and admins")
EXPORT_REFUSED = t("a nation's journal is exported by its finance officers and auditors")
RECORD_REFUSED = t(
    "a new journal export, which is recorded, is made by the nation's finance officers"
)


def _may(principal: Principal | None, roles: frozenset[Role], why: str) -> None:
    if principal is None or principal.roles & roles:
        return
    raise ForbiddenError.single(Code.FORBIDDEN, "role", why)


# --- the mapping ----------------------------------------------------------------------------


def _rule_out(nation: str, stored: StoredRule) -> GlRuleOut:
    r = stored.rule
    return GlRuleOut(
        nation=nation,
        account=r.account.value,
        partner=r.partner,
        currency=r.currency,
        gl_code=r.gl_code,
        fund_citation=r.fund_citation,
        at=stored.at,
        actor=stored.actor,
    )


def list_rules(uow: UnitOfWork, nation: str | None = None) -> list[GlRuleOut]:
    """The nation's mapping rules, by account, partner and currency."""
    code = nation_of(uow.principal, nation)
    _may(uow.principal, READERS, READ_REFUSED)
    with uow:
        return [_rule_out(code, s) for s in _repo(uow).rules(code)]


def _rule_json(stored: StoredRule | None) -> dict[str, object] | None:
    if stored is None:
        return None
    r = stored.rule
    return {
        "account": r.account.value,
        "partner": r.partner,
        "currency": r.currency,
        "gl_code": r.gl_code,
        "fund_citation": r.fund_citation,
    }


def _put(uow: UnitOfWork, code: str, rules: Iterable[dict[str, str | None]], actor: str) -> int:
    """Add or replace each rule (inside ``with uow``); how many changed."""
    repo = _repo(uow)
    changed = 0
    at = utc_now()
    for given in rules:
        rule = gl_rule(
            given.get("account") or "",
            given.get("partner"),
            given.get("currency"),
            given.get("gl_code") or "",
            given.get("fund_citation"),
        )
        before = repo.rule(code, rule.key)
        if before is not None and before.rule == rule:
            continue
        repo.put(code, rule, at, actor, replace=before is not None)
        after = StoredRule(rule, at, actor)
        subject = f"nation:{code}"
        uow.record(SET_RECORD, subject, actor, _rule_json(before), _rule_json(after))
        changed += 1
    check_rule_count(repo.count(code))
    return changed


def set_rule(
    uow: UnitOfWork,
    nation: str | None,
    account: str,
    partner: str | None,
    currency: str | None,
    gl_code: str,
    fund_citation: str | None = None,
    actor: str = "operator",
) -> GlRuleOut:
    """Add the rule, or replace the one of the same account, partner and currency (audited;
    the same rule again changes nothing)."""
    code = nation_of(uow.principal, nation)
    _may(uow.principal, MAPPERS, MAP_REFUSED)
    who = limits.check_text("actor", actor)
    given = {
        "account": account,
        "partner": partner,
        "currency": currency,
        "gl_code": gl_code,
        "fund_citation": fund_citation,
    }
    with uow:
        _put(uow, code, [given], who)
        rule = gl_rule(account, partner, currency, gl_code, fund_citation)
        stored = _repo(uow).rule(code, rule.key)
        assert stored is not None
        result = _rule_out(code, stored)
        uow.commit()
    return result


def remove_rule(
    uow: UnitOfWork,
    nation: str | None,
    account: str,
    partner: str | None,
    currency: str | None,
    actor: str = "operator",
) -> GlRuleOut:
    """Remove the rule of exactly this account, partner and currency (audited);
    GL_MAPPING_NOT_FOUND when there is none."""
    from acsa.domain.gl_mapping import parse_account

    code = nation_of(uow.principal, nation)
    _may(uow.principal, MAPPERS, MAP_REFUSED)
    who = limits.check_text("actor", actor)
    found = parse_account("account", account)
    key_rule = gl_rule(found.value, partner, currency, "x")
    with uow:
        repo = _repo(uow)
        stored = repo.rule(code, key_rule.key)
        if stored is None:
            raise NotFoundError.single(
                Code.GL_MAPPING_NOT_FOUND,
                "account",
                "{nation} has no rule for {account} with {partner} in {currency}",
                nation=code,
                account=found.value,
                partner=key_rule.partner,
                currency=key_rule.currency,
            )
        repo.remove(code, key_rule.key)
        uow.record(REMOVE_RECORD, f"nation:{code}", who, _rule_json(stored), None)
        result = _rule_out(code, stored)
        uow.commit()
    return result


def rules_from_csv(text: str) -> list[dict[str, str | None]]:
    """Rules from CSV with a header naming RULE_COLUMNS (partner, currency and fund_citation
    may be left out or blank); INVALID_FIELD naming the row for a rule that is not one."""
    if len(text.encode("utf-8")) > limits.GL_IMPORT_BYTES_MAX:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "file",
            "{name} is more than {most} bytes",
            name="file",
            most=limits.GL_IMPORT_BYTES_MAX,
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("account", "gl_code") if c not in header]
    unknown = [h for h in header if h not in RULE_COLUMNS]
    if missing or unknown:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "file",
            "the rules file's header must name {columns}; missing: {missing}; unknown: {unknown}",
            columns=RULE_COLUMNS,
            missing=tuple(missing),
            unknown=tuple(unknown),
        )
    rows: list[dict[str, str | None]] = []
    violations: list[Violation] = []
    for number, row in enumerate(reader, start=2):
        given = {(k or "").strip(): v for k, v in row.items()}
        if not any((v or "").strip() for v in given.values()):
            continue
        try:
            gl_rule(
                given.get("account") or "",
                given.get("partner"),
                given.get("currency"),
                given.get("gl_code") or "",
                given.get("fund_citation"),
            )
        except AcsaError as error:
            violations.extend(
                Violation(v.code, f"row {number}: {v.field}", v.template, v.clause, v.params)
                for v in error.violations
            )
        rows.append(given)
        limits.check_count("rules", len(rows), limits.GL_RULES_MAX)
    if violations:
        raise AcsaError(violations)
    return rows


def import_rules(
    uow: UnitOfWork, nation: str | None, text: str, actor: str = "operator"
) -> list[GlRuleOut]:
    """Add or replace every rule of a CSV file (``rules_from_csv``), all or none; the nation's
    rules after."""
    code = nation_of(uow.principal, nation)
    _may(uow.principal, MAPPERS, MAP_REFUSED)
    who = limits.check_text("actor", actor)
    rows = rules_from_csv(text)
    with uow:
        _put(uow, code, rows, who)
        result = [_rule_out(code, s) for s in _repo(uow).rules(code)]
        uow.commit()
    return result


# --- the journal ----------------------------------------------------------------------------


def _line_out(line: JournalLine) -> JournalLineOut:
    return JournalLineOut(
        line_id=line.line_id,
        entry_id=line.entry_id,
        seq=line.seq,
        effective=line.effective,
        kind=line.kind,
        document=line.document,
        order=line.order_id,
        partner=line.partner,
        account=line.account,
        gl_code=line.gl_code,
        fund_citation=line.fund_citation,
        currency=line.currency,
        debit=line.debit,
        credit=line.credit,
        memo=line.memo,
    )


def _as_of(uow: UnitOfWork, book: str, day: date) -> dict[tuple[str, str, str], Decimal]:
    """Per (partner, account, currency): the book's balances at the end of ``day``, as
    ``acsa ledger balance --as-of`` computes them."""
    return {
        (partner, account.value, money.currency): money.amount
        for _b, partner, account, money in uow.ledger.balances_from_postings(book, None, day)
    }


def check_format(fmt: str) -> str:
    violation = limits.choice_violation("format", fmt, FORMATS)
    if violation is not None:
        raise AcsaError([violation])
    return fmt


def _check_days(since: date | None, until: date, new: bool) -> None:
    violations = [
        v
        for v in (
            limits.date_violation("until", until),
            None if since is None else limits.date_violation("since", since),
        )
        if v is not None
    ]
    if violations:
        raise AcsaError(violations)
    if new and since is not None:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            "since",
            "a new export takes every entry not exported before, through {until}: give no "
            "since with it",
            until=until,
        )
    if not new and since is None:
        raise AcsaError.single(
            Code.MISSING_FIELD, "since", "{name}: give the period's first day", name="since"
        )
    if since is not None and since > until:
        raise AcsaError.single(
            Code.INVALID_DATE,
            "since",
            "the period starts ({start}) after it ends ({end})",
            start=since,
            end=until,
        )


def journal(
    uow: UnitOfWork,
    nation: str | None,
    since: date | None,
    until: date,
    new: bool = False,
    fmt: str = "json",
    actor: str = "operator",
    check: bool = False,
) -> JournalOut:
    """The journal of the nation's book in its mapping.

    A period export (``new`` False): the entries effective from ``since`` to ``until``,
    recorded nowhere; reconciled as the book's balances the day before ``since`` plus the
    export's movements against its balances at ``until``. A new export: the entries after the
    last recorded export's last entry, in id order, up to the first dated after ``until``;
    recorded when it has lines; reconciled as what the earlier exports took plus this one
    against the balances at ``until`` (they differ only while an entry dated after ``until``
    holds later ones back). GL_MAPPING_MISSING for any posting no rule maps, with nothing
    recorded; with ``check``, LEDGER_MISMATCH for any account that does not reconcile, with
    nothing recorded."""
    code = nation_of(uow.principal, nation)
    _may(uow.principal, RECORDERS if new else EXPORTERS, RECORD_REFUSED if new else EXPORT_REFUSED)
    check_format(fmt)
    _check_days(since, until, new)
    who = limits.check_text("actor", actor)
    most = limits.JOURNAL_ENTRIES_MAX
    with uow:
        repo = _repo(uow)
        rules = [s.rule for s in repo.rules(code)]
        after: int | None = None
        if new:
            repo.hold_entries()
            after = repo.high_water(code)
            entries = contiguous(repo.entries(code, after_id=after, most=most), until, most)
            opening = {k: _decimal(v, k[2]) for k, v in repo.sums_through(code, after).items()}
        else:
            assert since is not None
            entries = repo.entries(code, since, until, most=most + 1)
            if len(entries) > most:
                raise AcsaError.single(
                    Code.INVALID_FIELD,
                    "since",
                    "the period holds more than {most} entries; export a shorter one",
                    most=most,
                )
            opening = _as_of(uow, code, since - timedelta(days=1))
        lines = journal_lines(code, entries, rules)
        closing = _as_of(uow, code, until)
        rows = reconcile(opening, totals_by_account(lines), closing)
        last = max((e.id or 0 for e in entries), default=after)
        result = JournalOut(
            book=code,
            since=since,
            until=until,
            new=new,
            after_entry_id=after,
            last_entry_id=last,
            entries=len(entries),
            lines=[_line_out(line) for line in lines],
            totals=[
                GlTotalOut(gl_code=g, currency=c, debit=d, credit=cr)
                for (g, c), (d, cr) in totals_by_gl(lines).items()
            ],
            reconciliation=[
                ReconciledOut(
                    partner=r.partner,
                    account=r.account,
                    currency=r.currency,
                    opening=r.opening,
                    movement=r.movement,
                    closing=r.closing,
                    ok=r.ok,
                )
                for r in rows
            ],
            reconciled=all(r.ok for r in rows),
        )
        if check:
            require_reconciled(result)
        if new and entries:
            assert after is not None
            assert last is not None
            try:
                export_id = repo.record(
                    code, utc_now(), who, since, until, after, last, len(lines), fmt
                )
            except IntegrityError:
                raise AcsaError.single(
                    Code.CONCURRENT_UPDATE,
                    "new",
                    "another export of {nation}'s journal took the same entries; export again",
                    nation=code,
                ) from None
            uow.record(
                EXPORT_RECORD,
                f"nation:{code}",
                who,
                None,
                {
                    "export": export_id,
                    "after_entry_id": after,
                    "last_entry_id": last,
                    "entries": len(entries),
                    "lines": len(lines),
                    "until": until.isoformat(),
                    "format": fmt,
                },
            )
            result = result.model_copy(update={"export": export_id})
            uow.commit()
    return result


def _decimal(minor: int, currency: str) -> Decimal:
    from acsa.domain.money import from_minor

    return from_minor(minor, currency)


def require_reconciled(result: JournalOut) -> None:
    """LEDGER_MISMATCH for each account whose opening plus the export's movement is not its
    balance at the export's end."""
    bad = [r for r in result.reconciliation if not r.ok]
    if not bad:
        return
    raise AcsaError(
        [
            Violation(
                Code.LEDGER_MISMATCH,
                "reconciliation",
                "{book}'s {account} with {partner}: {opening} before the export and {movement} "
                "in it do not make its balance {closing} at {until}",
                params={
                    "book": result.book,
                    "account": r.account,
                    "partner": r.partner,
                    "opening": Money(r.opening, r.currency),
                    "movement": Money(r.movement, r.currency),
                    "closing": Money(r.closing, r.currency),
                    "until": result.until,
                },
            )
            for r in bad
        ]
    )


def exports(uow: UnitOfWork, nation: str | None = None) -> list[JournalExportOut]:
    """The nation's recorded exports, newest first (the last 20)."""
    code = nation_of(uow.principal, nation)
    _may(uow.principal, READERS, READ_REFUSED)
    with uow:
        return [
            JournalExportOut(
                id=x.id,
                nation=x.nation,
                at=x.at,
                actor=x.actor,
                since=x.since,
                until=x.until,
                after_entry_id=x.after_entry_id,
                last_entry_id=x.last_entry_id,
                lines=x.lines,
                format=x.format,
            )
            for x in _repo(uow).exports(code)
        ]


# --- files ----------------------------------------------------------------------------------


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def journal_csv(result: JournalOut) -> str:
    """The lines as CSV (a header of CSV_COLUMNS; amounts as written, never floats)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in result.lines:
        data = line.model_dump()
        writer.writerow([_cell(data[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def journal_json(result: JournalOut) -> str:
    return result.model_dump_json(indent=2) + "\n"


def journal_text(result: JournalOut, fmt: str) -> str:
    return journal_csv(result) if check_format(fmt) == "csv" else journal_json(result)


def lines_from_csv(text: str) -> list[JournalLineOut]:
    """The lines of a journal read back from its CSV."""
    reader = csv.DictReader(io.StringIO(text))
    found = []
    for row in reader:
        data: dict[str, object] = {k: (v if v != "" else None) for k, v in row.items()}
        for name in ("document", "memo"):
            data[name] = row[name]
        found.append(JournalLineOut.model_validate(data))
    return found


def lines_from_json(text: str) -> list[JournalLineOut]:
    return JournalOut.model_validate(json.loads(text)).lines


def balances_by_account(
    positions: Iterable[Mapping[str, object]],
) -> dict[tuple[str, str, str], Decimal]:
    """Per (partner, account, currency): the account balances (debits positive) behind
    ``acsa ledger balance``'s positions (its JSON), every account but cash (which a position
    does not show)."""
    signs = {
        "owed_to_us": (Account.RECEIVABLE_CASH, 1),
        "owed_by_us": (Account.PAYABLE_CASH, -1),
        "awaiting_replacement": (Account.RECEIVABLE_IN_KIND, 1),
        "awaiting_replacement_by_us": (Account.PAYABLE_IN_KIND, -1),
        "provided": (Account.SUPPORT_PROVIDED, -1),
        "received": (Account.SUPPORT_RECEIVED, 1),
    }
    found: dict[tuple[str, str, str], Decimal] = {}
    for p in positions:
        for name, (account, sign) in signs.items():
            amount = Decimal(str(p[name])) * sign
            if amount:
                found[(str(p["partner"]), account.value, str(p["currency"]))] = amount
    return found
