"""The class at a glance: which checks the class failed most, and how the scores spread.

Written beside the gradebook as Markdown (``<gradebook>-summary.md``) and a plot
(``<gradebook>-summary.png``, drawn by matplotlib without a display). Pass rates count the
students whose submission could be graded; those who could not are listed by name.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from autograder.instructor.feedback import (
    GRADED,
    NOT_GRADED,
    STATUSES,
    markdown_text,
    write_atomically,
)

BINS = 10  # score distribution: tenths of the maximum


@dataclass(frozen=True)
class CheckRate:
    """How many of the graded students passed one check."""

    name: str
    points: float
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def check_rates(records: list[dict], checks: list[tuple[str, float]]) -> list[CheckRate]:
    """Every check's pass rate among the gradable submissions, most failed first."""
    gradable = [document for document in records if document.get("status") != NOT_GRADED]
    rates = []
    for name, points in checks:
        passed = sum(
            1
            for document in gradable
            for test in document.get("tests", [])
            if test["name"] == name and test.get("status") == "passed"
        )
        rates.append(CheckRate(name, points, passed, len(gradable)))
    return sorted(rates, key=lambda item: (item.rate, item.name))


def distribution(records: list[dict]) -> list[tuple[str, int]]:
    """How many students scored in each tenth of the maximum (the last one includes 100%)."""
    counts = [0] * BINS
    for document in records:
        top = document.get("max_score") or 0
        share = document["score"] / top if top else 0.0
        counts[min(int(share * BINS), BINS - 1)] += 1
    labels = [f"{10 * i}-{10 * (i + 1)}%" for i in range(BINS)]
    return list(zip(labels, counts, strict=True))


def markdown(title: str, records: list[dict], rates: list[CheckRate], plot: str | None) -> str:
    """The summary as Markdown: counts, the failed-most checks, the distribution, who to see."""
    scores = sorted(document["score"] for document in records)
    by_status = {status: 0 for status in STATUSES}
    for document in records:
        status = document.get("status", GRADED)
        by_status[status] = by_status.get(status, 0) + 1
    lines = [f"# {title}: class summary", ""]
    lines.append(
        f"{len(records)} students: "
        + ", ".join(f"{count} {status}" for status, count in by_status.items())
        + "."
    )
    if scores:
        top = max(document["max_score"] for document in records)
        mean, middle = statistics.mean(scores), statistics.median(scores)
        lines.append(
            f"Mean score {mean:.1f}, median {middle:g}, out of {top:g} (everyone counted)."
        )
    if plot:
        lines += ["", f"![pass rate per check and score distribution]({plot})"]
    lines += ["", "## Checks, most failed first", "", "| check | points | passed | rate |"]
    lines.append("|---|---|---|---|")
    for item in rates:
        rate = f"{item.rate:.0%}"
        lines.append(f"| {item.name} | {item.points:g} | {item.passed}/{item.graded} | {rate} |")
    lines += ["", "## Score distribution", "", "| score | students |", "|---|---|"]
    lines += [f"| {label} | {count} |" for label, count in distribution(records)]
    to_see = [document for document in records if document.get("status") != GRADED]
    if to_see:
        lines += ["", "## Students to look at", ""]
        lines += [
            f"- {markdown_text(d['student'])}: {d.get('status')} "
            f"({markdown_text(d.get('reason', ''))})"
            for d in to_see
        ]
    return "\n".join(lines) + "\n"


def draw(path: Path, title: str, records: list[dict], rates: list[CheckRate]) -> None:
    """Two panels: pass rate per check (most failed on top), and the score histogram."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    height = max(4.0, 0.3 * len(rates) + 1.5)
    figure, (left, right) = pyplot.subplots(
        1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [3, 2]}
    )
    names = [item.name for item in rates]
    left.barh(range(len(rates)), [100 * item.rate for item in rates], color="tab:blue")
    left.set_yticks(range(len(rates)), names, fontsize=8)
    left.invert_yaxis()  # the most failed check on top
    left.set_xlim(0, 100)
    left.set_xlabel("students who passed (%)")
    left.set_title("Pass rate per check")
    labels, counts = zip(*distribution(records), strict=True) if records else ((), ())
    right.bar(range(len(labels)), counts, color="tab:green")
    right.set_xticks(range(len(labels)), labels, rotation=45, fontsize=8)
    right.set_ylabel("students")
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_title("Score distribution (share of the maximum)")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def write_summary(
    gradebook: Path, title: str, records: list[dict], checks: list[tuple[str, float]]
) -> tuple[Path, Path | None]:
    """Write the Markdown summary and (when matplotlib is installed) its plot."""
    rates = check_rates(records, checks)
    summary, plot_path = summary_files(gradebook)
    try:
        draw(plot_path, title, records, rates)
    except ImportError:
        plot_path = None  # matplotlib comes with the development dependencies
    text = markdown(title, records, rates, plot_path.name if plot_path else None)
    write_atomically(summary, text)
    return summary, plot_path


def summary_files(gradebook: Path) -> tuple[Path, Path]:
    """``grades.csv`` -> ``grades-summary.md`` and ``grades-summary.png`` beside it."""
    base = gradebook.with_suffix("")
    return base.with_name(base.name + "-summary.md"), base.with_name(base.name + "-summary.png")
