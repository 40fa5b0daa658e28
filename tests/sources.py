"""The source of the cosign package as the layering tests read it: its folder and the modules a
file imports."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cosign"


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names
