"""The HTML report: self-contained (no external resources) and rendered by a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import headless_chrome

from codesift.bench.grade import ProblemResult
from codesift.bench.report import render, write_report
from codesift.bench.run import RunResults, summary_of


def _results() -> RunResults:
    """Two policies, one problem solved by selection, one solvable but missed, one unsolvable."""
    problems = (
        ProblemResult(id="P/0", samples=4, correct=3, policies={"a": (2, 2), "b": (2, 1)}, distinct=2,
                      submitted=(True,), answered=True, chosen="def f(x):\n    return x < 2\n",
                      completion_tokens=80, seconds=2.0, executions=10),
        ProblemResult(id="P/1", samples=4, correct=1, policies={"a": (2, 0), "b": (2, 1)}, distinct=3,
                      submitted=(False, True), answered=True, chosen="def g():\n    return 1\n",
                      failure="failed on hidden test 1: AssertionError", completion_tokens=90, seconds=3.0,
                      executions=12),
        ProblemResult(id="P/2", samples=4, correct=0, policies={"a": (2, 0), "b": (2, 0)}, distinct=4,
                      answered=True, completion_tokens=100, seconds=4.0, executions=8),
    )  # fmt: skip
    summary, policies = summary_of(list(problems))
    return RunResults(benchmark="demo", config={}, summary=summary, policies=policies, problems=problems)


def test_report_is_self_contained() -> None:
    page = render(_results())
    assert page.count("<svg") == 3
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from anywhere
    assert "return x &lt; 2" in page  # programs are escaped
    assert "33.3%" in page  # selected pass@1 = 1/3
    assert "failed on hidden test 1" in page


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out = tmp_path / "report.html"
    write_report(_results(), out)
    with headless_chrome(tmp_path / "profile") as driver:
        driver.get(out.as_uri())
        assert driver.title == "codesift: demo"
        figures = driver.find_elements(By.CSS_SELECTOR, "figure svg")
        assert len(figures) == 3
        assert all(f.size["width"] > 100 and f.size["height"] > 100 for f in figures)  # laid out, not empty
        rows = driver.find_elements(By.CSS_SELECTOR, "#problems tr")
        assert len(rows) == 1 + 3
        summary_rows = driver.find_elements(By.CSS_SELECTOR, "#summary tr")
        assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in summary_rows[1:]] == ["all", "a", "b"]
        link = driver.find_element(By.LINK_TEXT, "program")
        link.click()
        assert driver.current_url.endswith("#p0")
