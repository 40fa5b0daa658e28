"""The layers of DESIGN.md: core knows no Flask and no database; services know no request.

And the imports that hold them together: no cycle between the modules of cosign/, and no
import inside a function unless a ``# deferred:`` comment says why (a real start-up cost).
"""
import ast

import pytest

from tests.sources import (
    KNOWN,
    MODULES,
    PACKAGE,
    function_level_imports,
    imported_names,
    imports,
    module_level_imports,
    module_name,
)

# Every module of the service layer; the glue that binds Flask is listed apart.
GLUE = {"__init__", "app", "cli", "extensions", "jobs", "models", "accesslog"}
SERVICES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in GLUE)
# What a function-level import must carry on its line, or on the comment line(s) just above
# it (and the imports beside it): the reason it is not at the top of the module.
DEFERRED = "# deferred:"


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_import_cycles_are_found():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse("from cosign import web\nfrom . import links\nfrom .desk import x\n"
                     "import cosign.models\nfrom cosign.web.desk import load_statement\n")
    found = set()
    for node in tree.body:
        found |= imported_names(node, "cosign.web.public", False)
    assert found >= {"cosign.web", "cosign.web.links", "cosign.web.desk", "cosign.models"}


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


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_only_the_app_factory_imports_the_app_and_its_commands(path):
    """cosign.app builds the application and cosign.cli adds its commands: nothing below
    them imports them (cosign.app imports cosign.cli)."""
    allowed = {"cosign.app": set(), "cosign.cli": {"cosign.app"}}
    module = module_name(path)
    for top, importers in allowed.items():
        if module != top:
            assert top not in imports(path) or module in importers, (module, top)


def test_no_import_cycle_in_cosign():
    graph = {module_name(path): {name for name in module_level_imports(path)
                                 if name in KNOWN and name != module_name(path)}
             for path in MODULES}
    cycles = import_cycles(graph)
    assert not cycles, [[f"{a} -> {b}" for a in cycle for b in sorted(graph[a] & set(cycle))]
                        for cycle in cycles]


def last_line(node: ast.stmt) -> int:
    """The node's last line (always known for a node ast.parse made)."""
    assert node.end_lineno is not None
    return node.end_lineno


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_an_import_inside_a_function_says_why(path):
    """A function-level import hides a cycle or a cost: it stays only for a real start-up
    cost (pyHanko, RQ...), with ``# deferred: <why>`` on its line or on the comment just
    above it (one comment may serve a group of imports)."""
    nodes = function_level_imports(path)
    lines = path.read_text().splitlines()
    import_lines = {line for node in nodes for line in range(node.lineno - 1, last_line(node))}

    def says_why(node: ast.stmt) -> bool:
        if any(DEFERRED in lines[i] for i in range(node.lineno - 1, last_line(node))):
            return True
        i = node.lineno - 2
        while i >= 0 and (i in import_lines or lines[i].lstrip().startswith("#")):
            if lines[i].lstrip().startswith(DEFERRED):
                return True
            i -= 1
        return False

    unexplained = [f"{node.lineno}: {ast.unparse(node)}" for node in nodes if not says_why(node)]
    assert not unexplained, unexplained
