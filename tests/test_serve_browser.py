"""The web page in headless Chromium: submit, watch the job live, settle the disagreement by clicking."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from browser import headless_chrome
from serve_helpers import TASK_594, mbpp_594_record, right_choice, served

from codesift.bench.grade import grade_programs
from codesift.execute import Executor
from codesift.records import digest


@pytest.mark.browser
def test_the_page_runs_a_job_live_and_takes_the_users_answer(tmp_path: Path, ex: Executor) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    runs = tmp_path / "runs"
    (runs / "he20").mkdir(parents=True)
    kept = Path(__file__).parent.parent / "docs" / "runs" / "select-humaneval-0.5b-n20.json"
    (runs / "he20" / "results.json").write_text(kept.read_text())
    with (
        served(tmp_path / "serve.sqlite", executor=ex, runs=runs) as s,
        httpx.Client(base_url=s.url) as api,
        headless_chrome(tmp_path / "profile") as driver,
    ):
        wait = WebDriverWait(driver, 60)
        driver.get(f"{s.url}/")
        driver.find_element(By.ID, "problem").send_keys(mbpp_594_record())
        Select(driver.find_element(By.ID, "filename")).select_by_value("problem.jsonl")
        samples = driver.find_element(By.ID, "samples")
        samples.clear()
        samples.send_keys("20")
        driver.find_element(By.ID, "submit").click()
        wait.until(lambda d: "/jobs/" in d.current_url)
        job_id = driver.current_url.rsplit("/", 1)[1]
        wait.until(lambda d: d.find_element(By.ID, "status").text == "done")

        assert len(driver.find_elements(By.CSS_SELECTOR, "tr.candidate")) == 20  # each arrived as an event
        verdicts = driver.find_elements(By.CSS_SELECTOR, "tr.verdict")
        assert verdicts and any("passed" in v.text for v in verdicts) and any("failed" in v.text for v in verdicts)
        assert "sample: 20 done" in driver.find_element(By.ID, "stages").text
        clusters = len(driver.find_elements(By.CSS_SELECTOR, "tr.cluster"))
        assert clusters >= 2
        rounds = 0
        while (choice := right_choice(api.get(f"/v1/jobs/{job_id}/clusters").json(), ex)) is not None:
            probe = driver.find_element(By.ID, "probe").text
            buttons = driver.find_elements(By.CSS_SELECTOR, "button.choice")
            assert len(buttons) >= 2
            next(b for b in buttons if b.get_attribute("data-behaviour") == choice).click()
            wait.until(lambda d, before=clusters: len(d.find_elements(By.CSS_SELECTOR, "tr.cluster")) < before)
            clusters = len(driver.find_elements(By.CSS_SELECTOR, "tr.cluster"))
            rounds += 1
            assert rounds <= 3, f"still asking after {rounds} answers (last input {probe!r})"
        assert driver.find_element(By.ID, "disagreement").get_attribute("data-settled") == "true"
        best = api.get(f"/v1/jobs/{job_id}").json()["answer"]["submissions"][0]["code"]
        wait.until(lambda d: d.find_element(By.ID, "answer").text.startswith(best.strip().splitlines()[0]))
        driver.get(f"{s.url}/")
        listed = driver.find_element(By.ID, "jobs").text
        driver.find_element(By.LINK_TEXT, "he20").click()  # a benchmark run: the report's plots
        figures = driver.find_elements(By.CSS_SELECTOR, "figure svg")
        assert len(figures) == 3 and all(f.size["width"] > 100 for f in figures)
    assert rounds >= 1
    assert grade_programs(TASK_594, [best], ex, None)[digest(best)].passed
    assert job_id in listed and "done" in listed
