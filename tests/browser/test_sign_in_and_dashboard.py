"""Signing in, the dashboard and the language switch in a real Chromium."""

from __future__ import annotations

from tests.browser.conftest import Site


def test_a_person_signs_in_sees_their_dashboard_and_switches_to_japanese(site: Site) -> None:
    page, _ = site.open()
    page.goto("/orders")
    assert page.url.endswith("/login?next=%2Forders")
    site.shot(page, "login")
    page.fill("#name", "JPN-all")
    page.fill("#password", "password-JPN-all")
    page.click("button[type=submit]:not([name=language])")
    page.wait_for_url("**/orders")
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Dashboard")
    assert "JPN-all" in page.locator("header .who").inner_text()
    site.shot(page, "dashboard-en")
    page.click("button[name=language][value=ja]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("ダッシュボード")
    assert page.locator("html").get_attribute("lang") == "ja"
    site.shot(page, "dashboard-ja")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Dashboard")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    page, watch = site.open()
    watch.expected_statuses.add(401)
    page.goto("/login")
    page.fill("#name", "JPN-all")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]:not([name=language])")
    assert page.locator("[role=alert]").is_visible()
    assert "/login" in page.url
