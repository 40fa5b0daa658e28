"""The example letters of ../shared/examples, read at test time (never copied into the
project: they are for reading only)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# the example letters live beside the project, never in it (they are for reading only):
# ../shared/examples of the checkout, or of the workplace's main checkout
EXAMPLE_DIRS = [Path(os.environ["COSIGN_EXAMPLES"])] if os.environ.get("COSIGN_EXAMPLES") \
    else [Path(__file__).resolve().parents[2] / "shared" / "examples",
          Path("/work/shared/examples")]


def example(prefix: str) -> str:
    for directory in EXAMPLE_DIRS:
        path = next(directory.glob(f"{prefix}_*.txt"), None)
        if path is not None:
            return path.read_text(encoding="utf-8")
    pytest.fail(f"example letter {prefix} not found in {', '.join(map(str, EXAMPLE_DIRS))} "
                "(set COSIGN_EXAMPLES to the folder of the example letters)")
