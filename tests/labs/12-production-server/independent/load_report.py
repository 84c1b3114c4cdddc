"""Lab 12 · run the load test against one or more servers and write a report.

For each target, given as WORKERS=URL (the server at URL runs that many workers), Locust runs
headless for a bounded time with the users of locustfile.py and saves its figures as CSV
(OUT/workers-N_stats.csv). Then OUT/report.md gets one table, a row per worker count and
route, and OUT/latency.png a plot of the latencies. Example, two servers started beforehand:

    uv run python load_report.py --out reports --users 8 --run-time 10 \\
        1=http://127.0.0.1:8001 4=http://127.0.0.1:8004
"""

import argparse
import csv
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["workers", "route", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms"]


def parse_target(text: str) -> tuple[int, str]:
    """``"2=http://127.0.0.1:8002"`` -> ``(2, "http://127.0.0.1:8002")``."""
    workers, separator, url = text.partition("=")
    if not separator or not workers.isdigit() or not url.startswith("http://127.0.0.1"):
        raise argparse.ArgumentTypeError(f"{text!r}: expected WORKERS=http://127.0.0.1:PORT")
    return int(workers), url


def run_locust(url: str, csv_prefix: Path, users: int, seconds: int) -> None:
    """Run Locust headless against ``url`` for ``seconds``; its CSV files start with
    ``csv_prefix``. Loopback only, bounded users and time."""
    command = [
        sys.executable, "-m", "locust",
        "--locustfile", str(HERE / "locustfile.py"),
        "--headless",
        "--host", url,
        "--users", str(users),
        "--spawn-rate", str(users),
        "--run-time", f"{seconds}s",
        "--csv", str(csv_prefix),
        "--only-summary",
    ]  # fmt: skip
    finished = subprocess.run(command, cwd=HERE, check=False)
    stats = Path(f"{csv_prefix}_stats.csv")
    if not stats.is_file():
        sys.exit(f"locust wrote no statistics for {url} (exit status {finished.returncode})")


def read_stats(path: Path) -> list[dict]:
    """The rows of a Locust ``_stats.csv`` for each route (not the "Aggregated" total)."""
    with path.open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def table_rows(workers: int, stats: list[dict]) -> list[list[str]]:
    """One row of the report for each route Locust measured on a server."""
    source = {
        "route": "Name",
        "requests": "Request Count",
        "failures": "Failure Count",
        "p50 ms": "50%",
        "p95 ms": "95%",
        "p99 ms": "99%",
    }
    rows = []
    for stat in stats:
        cells = {column: stat[field] for column, field in source.items()}
        cells["workers"] = str(workers)
        cells["req/s"] = f"{float(stat['Requests/s']):.1f}"
        rows.append([cells[column] for column in COLUMNS])
    return rows


def write_report(out: Path, rows: list[list[str]], users: int, seconds: int) -> None:
    """OUT/report.md: what was run, the table, and the plot."""
    lines = [
        "# Load test",
        "",
        f"Locust, headless: {users} users for {seconds} s against each server (loopback).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "![Latency percentiles by route and worker count](latency.png)",
        "",
    ]
    (out / "report.md").write_text("\n".join(lines))


def plot(out: Path, rows: list[list[str]]) -> None:
    """OUT/latency.png: p50, p95 and p99 of each (workers, route), as grouped bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{row[0]} w\n{row[1]}" for row in rows]
    figure, axes = plt.subplots(figsize=(8, 4))
    for offset, (column, name) in enumerate(((5, "p50"), (6, "p95"), (7, "p99"))):
        positions = [index + (offset - 1) * 0.27 for index in range(len(rows))]
        axes.bar(positions, [float(row[column]) for row in rows], width=0.27, label=name)
    axes.set_xticks(range(len(rows)), labels)
    axes.set_ylabel("latency (ms)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(out / "latency.png", dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description="Load-test servers and write a report.")
    parser.add_argument("targets", nargs="+", type=parse_target, metavar="WORKERS=URL")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--run-time", type=int, default=10, help="seconds per server")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for workers, url in options.targets:
        prefix = options.out / f"workers-{workers}"
        run_locust(url, prefix, options.users, options.run_time)
        rows += table_rows(workers, read_stats(Path(f"{prefix}_stats.csv")))
    write_report(options.out, rows, options.users, options.run_time)
    plot(options.out, rows)
    print(f"wrote {options.out / 'report.md'} and {options.out / 'latency.png'}")


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    main()
