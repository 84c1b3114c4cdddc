"""Another correct take: the columns in another order, the plot drawn as lines."""

import argparse
import csv
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--out", default="reports")
    parser.add_argument("--users", default="4")
    parser.add_argument("--run-time", default="5")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = ["| route | workers | p50 ms | p95 ms | p99 ms | req/s | requests | failures |"]
    table.append("| :-- | --: | --: | --: | --: | --: | --: | --: |")
    figure, axes = plt.subplots()
    for target in args.targets:
        workers, url = target.split("=", 1)
        prefix = out / f"workers-{workers}"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
             "--headless", "-H", url, "-u", args.users, "-r", args.users,
             "-t", f"{args.run_time}s", "--csv", str(prefix)],
            capture_output=True, check=False,
        )  # fmt: skip
        with open(f"{prefix}_stats.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Name"] == "Aggregated":
                    continue
                cells = [row["Name"], workers, row["50%"], row["95%"], row["99%"]]
                cells += [f"{float(row['Requests/s']):.2f}", row["Request Count"]]
                cells += [row["Failure Count"]]
                table.append("| " + " | ".join(cells) + " |")
                axes.plot(["p50", "p95", "p99"], [float(row[p]) for p in ("50%", "95%", "99%")],
                          label=f"{row['Name']} ({workers} w)")  # fmt: skip
    axes.legend()
    figure.savefig(out / "latency.png")
    (out / "report.md").write_text("## Load test\n\n" + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
