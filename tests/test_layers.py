"""The layers of DESIGN.md: core knows no Flask and no database; services know no request."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cosign"
# Every module of the service layer; the glue that binds Flask is listed apart.
GLUE = {"__init__", "app", "cli", "extensions", "jobs", "models", "accesslog"}
SERVICES = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "cosign").glob("*.py")
                  if p.stem not in GLUE)


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")),
                         ids=lambda p: p.relative_to(PACKAGE / "core").as_posix())
def test_core_imports_no_flask_no_database_no_app(path):
    where = path.relative_to(PACKAGE).as_posix()
    for name in imports(path):
        top = name.split(".")[0]
        assert top not in {"flask", "flask_babel", "flask_login", "flask_wtf", "flask_sqlalchemy",
                           "sqlalchemy", "werkzeug", "wtforms"}, (where, name)
        if top == "cosign":
            assert name.startswith("cosign.core"), (where, name)


@pytest.mark.parametrize("name", SERVICES)
def test_services_know_no_request_and_no_web_layer(name):
    for imported in imports(PACKAGE / f"{name}.py"):
        assert not imported.startswith("cosign.web"), (name, imported)
        assert imported.split(".")[0] not in {"flask", "flask_babel", "flask_wtf"}, (name, imported)
