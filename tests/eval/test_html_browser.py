"""The HTML leaderboard in headless Chromium: it renders, sorts and shows the JSONL's numbers.

Needs the Debian ``chromium`` package and the ``playwright`` Python package (pointed at the system
browser; ``playwright install`` is never run). Skipped with the reason when either is missing,
unless ``SCORE_ENVS_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from score_envs.eval.html_report import to_html
from score_envs.eval.leaderboard import load_runs, sort_runs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

REQUIRED = os.environ.get("SCORE_ENVS_REQUIRE_BROWSER") == "1"


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"SCORE_ENVS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


try:
    from playwright import sync_api
except ImportError:
    _missing("playwright is not installed (pip install 'score-envs[browser-test]')")
if not shutil.which(CHROMIUM):
    _missing("no system Chromium (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page_of(browser, tmp_path):
    """Open a leaderboard page from a file:// URL; record every request it makes."""
    opened = []

    def open_page(runs):
        path = tmp_path / "board.html"
        path.write_text(to_html(runs), encoding="utf-8")
        page = browser.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        opened.append(page)
        return page, requests, path.as_uri()

    yield open_page
    for page in opened:
        page.close()


def column(page, key):
    return page.eval_on_selector_all(
        f'#leaderboard tbody td[data-key="{key}"]', "cells => cells.map(c => c.dataset.value)"
    )


def jsonl_rates(path):
    episodes = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    n = len(episodes)
    first = [e["correct_per_turn"][0] for e in episodes]
    last = [e["correct_per_turn"][-1] for e in episodes]
    return {
        "n": n,
        "acc_t1": sum(first) / n,
        "acc_t2": sum(last) / n,
        "delta_i2c": sum(not f and t for f, t in zip(first, last, strict=True)) / n,
        "delta_c2i": sum(f and not t for f, t in zip(first, last, strict=True)) / n,
    }


def test_page_renders_a_row_per_run_and_the_flip_chart_without_network(run_files, page_of):
    runs = sort_runs(load_runs(list(run_files.values())))
    page, requests, url = page_of(runs)
    assert page.locator("#leaderboard tbody tr").count() == len(runs)
    chart = page.locator("#flip-chart").bounding_box()
    assert chart is not None and chart["width"] > 300 and chart["height"] > 50
    assert page.locator("#flip-chart rect.bar").count() == 2 * len(runs)
    assert requests == [url]  # nothing but the page itself


def test_displayed_numbers_match_the_jsonl(run_files, page_of):
    page, _, _ = page_of(sort_runs(load_runs(list(run_files.values()))))
    names = column(page, "name")
    for key in ("acc_t1", "acc_t2", "delta_i2c", "delta_c2i"):
        texts = page.eval_on_selector_all(
            f'#leaderboard tbody td[data-key="{key}"]',
            "cells => cells.map(c => c.firstChild.textContent)",
        )
        for name, text, value in zip(names, texts, column(page, key), strict=True):
            expected = jsonl_rates(run_files[name])[key]
            assert float(value) == pytest.approx(expected)
            assert text == f"{100 * expected:.1f}"
    assert [int(n) for n in column(page, "n")] == [jsonl_rates(run_files[n])["n"] for n in names]


def test_intervals_are_shown_under_each_estimate(run_files, page_of):
    page, _, _ = page_of(load_runs([run_files["corrector"]]))
    cell = page.locator('#leaderboard td[data-key="acc_t2"]')
    low, high = float(cell.get_attribute("data-low")), float(cell.get_attribute("data-high"))
    assert cell.locator("span.ci").inner_text() == f"[{100 * low:.1f}, {100 * high:.1f}]"
    assert low < float(cell.get_attribute("data-value")) < high


def test_clicking_a_header_sorts_by_that_column_and_again_reverses(run_files, page_of):
    page, _, _ = page_of(sort_runs(load_runs(list(run_files.values())), "name"))
    header = page.locator('#leaderboard th[data-key="acc_t1"]')
    header.click()
    values = [float(v) for v in column(page, "acc_t1")]
    assert values == sorted(values, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    values = [float(v) for v in column(page, "acc_t1")]
    assert values == sorted(values)
    assert header.get_attribute("aria-sort") == "ascending"


def test_text_columns_sort_alphabetically_first(run_files, page_of):
    page, _, _ = page_of(sort_runs(load_runs(list(run_files.values()))))
    page.locator('#leaderboard th[data-key="name"]').click()
    assert column(page, "name") == sorted(run_files)
