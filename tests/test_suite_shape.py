"""The shape of the test suite: every service module (cosign/*.py but the glue that binds
Flask) has its own tests/test_<module>.py, and no test module imports from another one
(shared fixtures live in conftest.py files, shared helpers in helper modules)."""
import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "cosign"
GLUE = {"__init__", "app", "cli", "extensions", "jobs", "models", "accesslog"}
SERVICES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in GLUE)
TEST_MODULES = sorted(TESTS.rglob("test_*.py"))


def test_the_service_modules_are_found():
    assert {"moderation", "signing", "timestamping"} <= set(SERVICES)
    assert not GLUE & set(SERVICES)


@pytest.mark.parametrize("module", SERVICES)
def test_every_service_module_has_its_own_tests(module):
    path = TESTS / f"test_{module}.py"
    assert path.is_file(), f"cosign/{module}.py has no tests/test_{module}.py"
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "cosign":
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.removeprefix("cosign."))
        elif isinstance(node, ast.Import):
            imported |= {alias.name.removeprefix("cosign.") for alias in node.names}
    assert module in imported, f"tests/test_{module}.py does not import cosign.{module}"
    assert any(isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
               for node in ast.walk(tree)), f"tests/test_{module}.py has no test"


def _imports_a_test_module(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [n for n in names if n.split(".")[-1].startswith("test_")]
    return found


@pytest.mark.parametrize("path", TEST_MODULES + sorted(TESTS.rglob("conftest.py")),
                         ids=lambda p: p.relative_to(TESTS).as_posix())
def test_no_module_imports_a_test_module(path):
    assert _imports_a_test_module(path) == []
