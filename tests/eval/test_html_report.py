"""The HTML page's markup: self-contained, escaped, one row per run, the flip chart's bars."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from score_envs.eval.html_report import to_html
from score_envs.eval.leaderboard import load_runs, sort_runs


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(page):
    collector = _Collector()
    collector.feed(page)
    return collector.tags


def test_page_loads_nothing_from_elsewhere(run_files):
    page = to_html(load_runs(list(run_files.values())))
    tags = parse(page)
    assert not [a for t, a in tags if t in ("script", "img", "iframe") and "src" in a]
    assert not [a for t, a in tags if t == "link"]
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
    csp = [a["content"] for t, a in tags if t == "meta" and "http-equiv" in a]
    assert csp and csp[0].startswith("default-src 'none'")


def test_one_table_row_and_two_chart_bars_per_run(run_files):
    runs = sort_runs(load_runs(list(run_files.values())))
    tags = parse(to_html(runs))
    rows = [a["data-run"] for t, a in tags if t == "tr" and "data-run" in a]
    assert rows == [run.name for run in runs]
    bars = [(a["class"], a["data-run"]) for t, a in tags if t == "rect"]
    assert sorted(bars) == sorted((f"bar {k}", r.name) for r in runs for k in ("i2c", "c2i"))


def test_run_names_and_policy_specs_are_escaped(make_run, tmp_path):
    path = make_run(tmp_path / "<script>alert(1)<!--.jsonl", "oracle", episodes=2)
    page = to_html(load_runs([path]))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


def test_flagged_run_gets_a_dagger_and_its_reason(run_files):
    page = to_html(load_runs([run_files["hacker"], run_files["oracle"]]))
    assert page.count("&dagger;") == 2  # the mark in the row and the note under the table
    assert "fail its first attempt on purpose" in page
