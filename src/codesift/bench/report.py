"""One self-contained HTML report of a benchmark run: plots as inline SVG, programs inline, no network."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from codesift.bench.metrics import Summary, mean_pass_at_k, pass_ks
from codesift.bench.run import RunResults
from codesift.bench.tasks import BenchDataError

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f3f3f3}.ok{color:#070}.bad{color:#b00}pre{background:#f7f7f7;padding:.5rem;overflow:auto}
figure{display:inline-block;margin:.5rem}details{margin:.25rem 0}
"""


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def pass_curve(results: RunResults) -> str:
    """pass@k against k, one line per policy (and overall when there are several)."""
    fig, ax = plt.subplots(figsize=(5, 3.4))
    series = {"all samples": [(r.samples, r.correct) for r in results.problems]}
    if len(results.policies) > 1:
        series |= {p: [r.policies.get(p, (0, 0)) for r in results.problems] for p in results.policies}
    for label, counts in series.items():
        top = min((n for n, _ in counts), default=0)
        ks = list(range(1, top + 1))
        values = [mean_pass_at_k(counts, k) or 0.0 for k in ks]
        ax.plot(ks, [100 * v for v in values], marker="o", markersize=3, label=label)
    ax.set_xscale("log")
    ticks = pass_ks(max((r.samples for r in results.problems), default=1))
    ax.set_xticks(ticks, [str(k) for k in ticks])
    ax.minorticks_off()
    ax.set_xlabel("k (samples)")
    ax.set_ylabel("pass@k (%)")
    ax.set_title("pass@k")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _svg(fig)


def selection_bars(summary: Summary) -> str:
    """raw pass@1 vs selected pass@1 vs oracle: how much of the gap selection closes."""
    fig, ax = plt.subplots(figsize=(5, 3.4))
    labels = ["raw pass@1", "selected pass@1", "oracle"]
    values = [summary.raw_pass_at_1, summary.selected_pass_at_1, summary.oracle]
    bars = ax.bar(labels, [100 * (v or 0.0) for v in values], color=["#999", "#2a7", "#36c"])
    ax.bar_label(bars, labels=[_pct(v) for v in values])
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of problems")
    ax.set_title("raw vs selected vs oracle")
    return _svg(fig)


def cost_bars(summary: Summary) -> str:
    """What one solved problem cost: tokens, seconds and sandbox executions."""
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 3))
    for ax, field, label in zip(
        axes, ("completion_tokens", "seconds", "executions"), ("tokens", "seconds", "executions"), strict=True
    ):
        values = [summary.cost.per_problem(field) or 0.0, summary.cost.per_solved(field) or 0.0]
        bars = ax.bar(["per problem", "per solved"], values, color=["#999", "#c63"])
        ax.bar_label(bars, fmt="%.3g")
        ax.set_title(label)
    fig.suptitle("cost", y=1.04)
    return _svg(fig)


_ENV = Environment(loader=PackageLoader("codesift.bench", "templates"), autoescape=select_autoescape(["html"]))
_ENV.filters["pct"] = _pct


def render(results: RunResults) -> str:
    """The page from templates/report.html; everything is escaped except the plots' own SVG."""
    summaries = [("all", results.summary)]
    if len(results.policies) > 1:
        summaries += list(results.policies.items())
    figures = {
        "pass_curve": Markup(pass_curve(results)),
        "selection": Markup(selection_bars(results.summary)),
        "cost": Markup(cost_bars(results.summary)),
    }
    return _ENV.get_template("report.html").render(
        results=results, s=results.summary, summaries=summaries, figures=figures, css=Markup(CSS)
    )


def write_report(results: RunResults, output: Path) -> None:
    try:
        output.write_text(render(results), encoding="utf-8")
    except OSError as e:
        raise BenchDataError(f"cannot write {output} ({e.strerror}); give -o a path in a writable folder") from None
