"""Loading the tested example apps of ``examples/NN-slug/`` that handouts and slides quote."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_example(path: Path) -> ModuleType:
    """Import an example file as a fresh module (a new one on every call)."""
    name = f"example_{path.parent.name.replace('-', '_')}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
