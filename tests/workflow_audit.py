"""A GitHub Actions workflow audited by zizmor, offline (no GitHub API is reachable here).

zizmor's default persona reports what is worth fixing with few false alarms: template
injection, actions pinned by a tag that can move, permissions a job does not need,
credentials left in a checkout, and more (https://docs.zizmor.sh/audits/).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ZIZMOR = Path(sys.executable).parent / "zizmor"


def findings(*workflows: Path) -> str:
    """zizmor's report on ``workflows``: empty when it finds nothing."""
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--color", "never", *map(str, workflows)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode == 0:
        return ""
    return (result.stdout + result.stderr).strip() or f"zizmor exited {result.returncode}"
