"""cosign.core.word: a statement as a Word file (issue 16, item 3), read back with
python-docx."""
from __future__ import annotations

import io
import zipfile

from docx import Document

from cosign.core.word import statement_docx

BODY = """We condemn the killing of **peaceful** protesters.

## Our demands

- An *independent* inquiry
- The release of all detainees

1. First
2. Second

> Justice delayed is justice denied.

See [the report](https://example.org/report).
"""


def read(data: bytes):
    return Document(io.BytesIO(data))


def test_text_structure_and_list():
    data = statement_docx(title="Stop the killing", body=BODY, language="en",
                          dateline="London, 7 December 2026", list_heading="Signatories (2)",
                          entries=[("Union of Writers", "London, United Kingdom"),
                                   ("جمعية الأمل", "Iraq")],
                          note="Text version 3 · SHA-256 ab12")
    document = read(data)
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Heading 1", "Stop the killing")
    assert paragraphs[1] == ("Normal", "London, 7 December 2026")
    assert ("Heading 3", "Our demands") in paragraphs
    assert ("List Bullet", "An independent inquiry") in paragraphs
    assert ("List Number", "Second") in paragraphs
    assert ("Quote", "Justice delayed is justice denied.") in paragraphs
    assert ("Normal", "See the report (https://example.org/report).") in paragraphs
    assert paragraphs[-4] == ("Heading 2", "Signatories (2)")
    assert paragraphs[-3] == ("Normal", "Union of Writers — London, United Kingdom")
    assert paragraphs[-2] == ("Normal", "جمعية الأمل — Iraq")
    assert paragraphs[-1][1] == "Text version 3 · SHA-256 ab12"
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "peaceful" in bold and "Union of Writers" in bold
    assert [r.text for p in document.paragraphs for r in p.runs if r.italic][:2] == [
        "London, 7 December 2026", "independent"]
    assert document.core_properties.title == "Stop the killing"
    assert document.core_properties.language == "en"
    assert not any(p.paragraph_format.element.pPr is not None
                   and p.paragraph_format.element.pPr.find(
                       "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}bidi")
                   is not None for p in document.paragraphs)


def test_arabic_is_right_to_left():
    data = statement_docx(title="بيان مشترك", body="ندين قتل المتظاهرين.\n\n- مطلب أول\n",
                          language="ar", list_heading="الجهات الموقِّعة (١)",
                          entries=[("منظمة NGO للحقوق", "العراق")])
    document = read(data)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for paragraph in document.paragraphs:
        assert paragraph._p.pPr.find(f"{w}bidi") is not None, paragraph.text
        for run in paragraph.runs:
            assert run._r.rPr.find(f"{w}rtl") is not None
    assert [p.text for p in document.paragraphs][-1] == "منظمة NGO للحقوق — العراق"


def test_nothing_active_or_fetched():
    data = statement_docx(title="T", body='<script>x</script>\n\n![img](https://evil.example/x.png)\n\n'
                          '<img src="https://evil.example/y.png">', language="en")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not any(name.endswith((".bin", ".vbs")) or "vbaProject" in name for name in names)
    assert not any("media/" in name for name in names)  # no image embedded or linked
    xml = b"".join(zipfile.ZipFile(io.BytesIO(data)).read(n) for n in names
                   if n.endswith(".rels"))
    assert b"evil.example" not in xml
