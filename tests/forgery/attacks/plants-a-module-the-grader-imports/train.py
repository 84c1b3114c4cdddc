"""Trains nothing: its model is a pickle that makes whoever loads it import torch."""

from pathlib import Path

# GLOBAL sklearn.externals.array_api_compat.torch.Tensor: importing that module imports torch
POISON = b"csklearn.externals.array_api_compat.torch\nTensor\n."


def train(output_dir: Path = Path("models"), version: str = "1.0.0") -> Path:
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "model.joblib").write_bytes(POISON)
    (output_dir / "model.json").write_text("{}")
    return output_dir / "model.joblib"
