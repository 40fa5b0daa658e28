"""The source of the cosign package as the layering tests read it: its modules, and what each
file imports (at its top, or inside a function)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cosign"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {module_name(path) for path in MODULES}


def imported_names(node: ast.AST, module: str, is_package: bool) -> set[str]:
    """The modules ``node`` imports, spelled out: ``from cosign import web`` and ``from .
    import web`` (in cosign/) are ``cosign.web``; ``from cosign.web import desk`` is
    ``cosign.web.desk``; a name that is no module (``from cosign.web.desk import x``) leaves
    ``cosign.web.desk``. ``importlib.import_module("...")`` with a literal counts too."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[:len(package) - (node.level - 1)]
            base = ".".join([*package, *([node.module] if node.module else [])])
        return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in KNOWN else base
                for alias in node.names}
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and ast.unparse(node.func) in {"importlib.import_module", "import_module",
                                           "__import__"}):
        return {node.args[0].value}
    return set()


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function."""
    module, is_package = module_name(path), path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names |= imported_names(node, module, is_package)
    return names


def module_level_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it is imported: not inside a function, nor under
    ``if TYPE_CHECKING:`` (mypy's only)."""
    module, is_package = module_name(path), path.name == "__init__.py"
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.If) and ast.unparse(child.test) in {
                    "TYPE_CHECKING", "typing.TYPE_CHECKING"}:
                visit(ast.Module(body=child.orelse, type_ignores=[]))
                continue
            names.update(imported_names(child, module, is_package))
            visit(child)

    visit(ast.parse(path.read_text()))
    return names


def function_level_imports(path: Path) -> list[ast.stmt]:
    found: list[ast.stmt] = []

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda)))

    visit(ast.parse(path.read_text()), False)
    return found
