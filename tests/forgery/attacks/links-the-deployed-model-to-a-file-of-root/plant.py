"""The attack: the model path becomes a link to the canary file named in target.txt."""

from pathlib import Path


def link(model_path: Path) -> None:
    canary = (Path(__file__).parent / "target.txt").read_text().split()[2]
    model_path.unlink(missing_ok=True)
    model_path.symlink_to(canary)
