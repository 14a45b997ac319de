"""The ``acsa`` command speaks one language (the real console script): ``--lang en|ja``, else
ACSA_LANG, else the locale; every refusal it prints, on a local database and through a real
``acsa serve`` (which it asks for the same language), is in that language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.server import Person, Server, add_people
from tests.e2e.cli import Result, run
from tests.orders_data import order_doc

#: No server and no locale from the test's own environment.
PLAIN = {"ACSA_SERVER": "", "ACSA_TOKEN": "", "ACSA_LANG": "", "LC_ALL": "", "LC_MESSAGES": ""}
#: The remote command must never open a database: this one cannot be opened.
NO_DATABASE = {"ACSA_DATABASE_URL": "sqlite:////nonexistent-dir/acsa.db"}


def acsa(*args: str, **env: str) -> Result:
    return run(*args, env={**PLAIN, "LANG": "C.UTF-8", **env})


def test_a_usage_error_is_refused_in_the_language_of_lang() -> None:
    refused = acsa("--lang", "ja", "orders", "list", "--limt", "3")
    assert refused.code == 2
    assert "Refused" not in refused.stderr
    assert "（`acsa orders list --help` を参照してください）" in refused.stderr
    english = acsa("orders", "list", "--limt", "3")
    assert english.code == 2
    assert "Refused" in english.stderr
    assert "(see `acsa orders list --help`)" in english.stderr


def test_the_json_refusal_carries_the_message_id_and_params(sqlite_url: str) -> None:
    refused = acsa(
        "--lang", "ja", "orders", "show", "1", "--db", sqlite_url, "--json",
        ACSA_SERVER="http://127.0.0.1:9",
    )  # fmt: skip
    assert refused.code == 2
    [error] = refused.json["errors"]
    assert error["code"] == "INVALID_INPUT"
    assert error["field"] == "--db"
    assert error["message_id"] == (
        "--db names a local database, but a server is set ({server}, from --server or "
        "{variable}): give one or the other"
    )
    assert error["params"] == {"server": "http://127.0.0.1:9", "variable": "ACSA_SERVER"}
    assert error["message"].startswith("--db はローカルのデータベースを指定しますが")


@pytest.mark.parametrize(
    "env",
    [{"ACSA_LANG": "ja"}, {"LANG": "ja_JP.UTF-8"}, {"LC_ALL": "ja_JP.UTF-8", "LANG": "en_GB"}],
    ids=["ACSA_LANG", "LANG", "LC_ALL"],
)
def test_the_language_comes_from_acsa_lang_else_the_locale(
    sqlite_url: str, tmp_path: Path, env: dict[str, str]
) -> None:
    file = tmp_path / "order.json"
    file.write_text(json.dumps(order_doc()))
    args = ("orders", "check", "--file", str(file), "--confirm", "NOPE", "--db", sqlite_url)
    refused = acsa(*args, **env)
    assert refused.code == 2
    assert "--confirm 'NOPE' は確認対象の警告ではありません" in refused.stderr
    english = acsa(*args, **{**env, "ACSA_LANG": "en"}) if "ACSA_LANG" not in env else None
    if english is not None:  # --lang/ACSA_LANG wins over the locale
        assert "--confirm 'NOPE' is not a warning a person confirms" in english.stderr


def test_a_language_acsa_does_not_speak_is_refused() -> None:
    refused = acsa("--lang", "fr", "orders", "list", "--json")
    assert refused.code == 2
    [error] = refused.json["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "--lang")
    assert error["message"] == "--lang 'fr': give one of en, ja"


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Person]]]:
    people = add_people(sqlite_url, passwords=False)
    with Server(sqlite_url, log=tmp_path / "serve.log") as server:
        yield server, people


def test_through_a_server_the_servers_refusal_is_printed_in_japanese(
    served: tuple[Server, dict[str, Person]],
) -> None:
    server, people = served
    env = {**NO_DATABASE, "ACSA_SERVER": server.base, "ACSA_TOKEN": people["JPN-admin"].token}
    args = ("users", "add", "kiwi", "--nation", "AUS", "--role", "viewer")
    refused = acsa("--lang", "ja", *args, **env)
    assert refused.code == 2
    assert "FORBIDDEN" in refused.stderr
    assert "JPN の管理者が追加できるのは JPN の利用者だけです" in refused.stderr
    as_json = acsa("--lang", "ja", *args, "--json", **env)
    [error] = as_json.json["errors"]
    assert error["message_id"] == "an admin of {nation} adds users of {nation} only, not of {other}"
    assert error["params"] == {"nation": "JPN", "other": "AUS"}
    assert error["message"] == (
        "JPN の管理者が追加できるのは JPN の利用者だけです（AUS の利用者は追加できません）"
    )
    english = acsa(*args, **env)
    assert english.code == 2
    assert "an admin of JPN adds users of JPN only, not of AUS" in english.stderr


def test_through_a_server_the_clients_own_refusal_is_in_japanese(
    served: tuple[Server, dict[str, Person]],
) -> None:
    server, people = served
    env = {**NO_DATABASE, "ACSA_SERVER": server.base, "ACSA_TOKEN": people["JPN-admin"].token}
    refused = acsa("users", "list", "--nation", "AUS", ACSA_LANG="ja", **env)
    assert refused.code == 2
    assert "サーバー経由で管理できるのは自国（JPN）の利用者だけです" in refused.stderr
