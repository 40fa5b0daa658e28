"""Letters for the importer's tests: the example letters of ../shared/examples, read at test
time (never copied into the project: they are for reading only), and Word files made here."""
from __future__ import annotations

import io
import os
from pathlib import Path

import docx
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


def word_file(build) -> bytes:
    """The bytes of a .docx that ``build(document)`` fills (python-docx)."""
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
