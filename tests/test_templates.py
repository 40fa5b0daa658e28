"""House rules for templates: every visible string is translatable, nothing loads from other
hosts."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(
    (ROOT / "templates").rglob("*.txt")
)
ATTRIBUTES = ("aria-label", "title", "alt", "placeholder", "content", "value")


def visible_literal_text(source: str) -> list[str]:
    """Text a person would see that is not produced by a Jinja expression."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<!doctype[^>]*>", " ", text, flags=re.I)
    found = []
    for attribute in ATTRIBUTES:
        for value in re.findall(rf'\b{attribute}="([^"]*)"', text):
            if (
                re.search(r"[A-Za-z]{2,}", value)
                and attribute != "value"
                and attribute != "content"
            ):
                found.append(f'{attribute}="{value}"')
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"^Subject:", " ", text)
    found += [w for w in re.findall(r"[^\W\d_][\w'’-]*", text)]
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_visible_string_is_wrapped_for_translation(path):
    literal = visible_literal_text(path.read_text())
    assert literal == [], f"{path.name}: wrap these in _(): {literal[:10]}"


def test_the_checker_finds_unwrapped_text():
    assert visible_literal_text("<p>Hello {{ _('x') }}</p>") == ["Hello"]
    assert visible_literal_text('<a aria-label="Close">{{ _("x") }}</a>') == ['aria-label="Close"']
    assert visible_literal_text("<p>{{ _('Hello') }}</p>") == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_loads_from_another_host(path):
    source = path.read_text()
    if "email" in path.parts:
        return  # e-mails link to the site itself through {{ link }} only
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", source), path.name
    assert "@import" not in source


def test_static_files_load_nothing_from_other_hosts():
    for path in (ROOT / "static").rglob("*"):
        if path.suffix in {".css", ".js", ".svg"}:
            source = path.read_text()
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", source), path.name
            assert "@import" not in source, path.name
            assert not re.search(r"""fetch\(\s*['"]https?:""", source), path.name


def test_translatable_python_strings_hold_no_markup():
    """Flask-Babel's lazy strings are inserted into pages unescaped (they count as
    markup), so a translatable string must never contain < or &."""
    import ast

    offenders = []
    for path in (ROOT / "cosign").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {"_", "_l", "N_", "gettext", "lazy_gettext", "ngettext"}):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                            and ("<" in arg.value or "&" in arg.value):
                        offenders.append(f"{path.name}:{node.lineno}: {arg.value[:60]}")
    assert offenders == []
