"""Compiled message catalogues are kept in the user's cache directory: an unchanged catalogue is
read back instead of compiled again, an edited one is compiled again, and a cache that cannot
be written changes nothing but the time it takes."""

from __future__ import annotations

import gettext
import shutil
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest

from acsa import i18n


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    i18n.translations.cache_clear()
    yield tmp_path / "cache"
    i18n.translations.cache_clear()


def every_id(lang: str) -> list[str]:
    return [m.id for m in i18n.catalog(lang) if isinstance(m.id, str) and m.id]


def test_a_catalogue_is_compiled_once_then_read_back(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = gettext.GNUTranslations(BytesIO(i18n.compile_catalogue("ja")))
    first = i18n.translations("ja")
    [kept] = (cache_home / "acsa" / "catalogues").glob("ja-*.mo")
    assert kept.read_bytes() == i18n.compile_catalogue("ja")

    def no_compiling(lang: str) -> bytes:
        raise AssertionError(f"{lang} compiled again")

    monkeypatch.setattr(i18n, "compile_catalogue", no_compiling)
    i18n.translations.cache_clear()
    again = i18n.translations("ja")
    ids = every_id("ja")
    assert len(ids) > 500
    for text in ids:
        assert first.gettext(text) == again.gettext(text) == fresh.gettext(text)
    assert i18n.gettext("ja", "Orders") != "Orders"


def test_an_edited_catalogue_has_another_digest(tmp_path: Path) -> None:
    sources = sorted((i18n.LOCALES / "ja").glob("*.po"))
    copies = []
    for path in sources:
        copies.append(tmp_path / path.name)
        shutil.copyfile(path, copies[-1])
    assert i18n.catalogue_digest("ja", copies) == i18n.catalogue_digest("ja", sources)
    with copies[0].open("a", encoding="utf-8") as po:
        po.write('\nmsgid "a sentence added"\nmsgstr "追加された文"\n')
    assert i18n.catalogue_digest("ja", copies) != i18n.catalogue_digest("ja", sources)
    assert i18n.catalogue_digest("en", sources) != i18n.catalogue_digest("ja", sources)


def test_a_cache_that_cannot_be_written_still_translates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    i18n.translations.cache_clear()
    try:
        assert i18n.gettext("ja", "Orders") == gettext.GNUTranslations(
            BytesIO(i18n.compile_catalogue("ja"))
        ).gettext("Orders")
        assert i18n.gettext("ja", "Orders") != "Orders"
    finally:
        i18n.translations.cache_clear()
    assert blocked.read_text(encoding="utf-8").startswith("a file")
