"""The PDF/A-3 subset checker (tests/pdfa_check.py) finds what it claims to find: each
case is a real PDF that breaks one rule the way cosign's pipeline could."""
from __future__ import annotations

import io

import pikepdf
import pytest
import weasyprint

from cosign import certification
from cosign.core.pdf.fetcher import ARCHIVAL, SafeFetcher, run_weasyprint
from tests import pdfa_check

HTML = '<html lang="en"><head><title>Statement</title></head><body><h1>Statement</h1></body></html>'


def archival() -> bytes:
    return run_weasyprint(HTML, SafeFetcher(), attachment=b"[]", variant=ARCHIVAL)[0]


def edited(data: bytes, change) -> bytes:
    pdf = pikepdf.open(io.BytesIO(data))
    change(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_cosign_renders_pass():
    assert pdfa_check.check(archival()) == []


def test_a_pdf_ua_render_is_not_pdf_a():
    data = weasyprint.HTML(string=HTML).write_pdf(pdf_variant="pdf/ua-1")
    findings = " ".join(pdfa_check.check(data))
    assert "pdfaid:part" in findings and "GTS_PDFA1" in findings


def test_pyhanko_desynchronises_a_full_info_dictionary(tmp_path):
    """WeasyPrint's own PDF/A-3a keeps a full Info dictionary; pyHanko then appends its
    name to /Producer there but writes another producer into the XMP: cosign's finisher
    keeps only the title for that reason."""
    data = weasyprint.HTML(string=HTML).write_pdf(pdf_variant="pdf/a-3a")
    assert pdfa_check.check(data, ua=False) == []
    key, cert = certification.generate_key(tmp_path, common_name="cosign.test")
    findings = pdfa_check.check(certification.certify(data, key_path=key, cert_path=cert),
                                ua=False)
    assert any(f.startswith("6.6.2.3.1: Info /Producer") for f in findings), findings


def test_an_undeclared_xmp_schema_is_found():
    def drop_extension(pdf):
        xmp = pdf.Root.Metadata.read_bytes()
        start = xmp.index(b'<rdf:Description rdf:about="" xmlns:pdfaExtension')
        end = xmp.index(b"</rdf:Description>", start) + len(b"</rdf:Description>")
        pdf.Root.Metadata.write(xmp[:start] + xmp[end:])

    findings = pdfa_check.check(edited(archival(), drop_extension))
    assert findings == ["6.6.2.3.2: XMP schema http://www.aiim.org/pdfua/ns/id/ is neither "
                        "predefined nor declared by an extension schema"]


@pytest.mark.parametrize("change, clause", [
    (lambda pdf: pdf.Root.__delattr__("OutputIntents"), "6.2.3"),
    (lambda pdf: pdf.Root.__delattr__("AF"), "6.8"),
    (lambda pdf: pdf.Root.__delattr__("MarkInfo"), "6.7.2.2"),
    (lambda pdf: pdf.Root.__delattr__("Lang"), "6.7.4"),
    (lambda pdf: pdf.Root.__setattr__("OpenAction", pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))), "6.5.1"),
])
def test_each_rule_can_fail(change, clause):
    findings = pdfa_check.check(edited(archival(), change))
    assert any(f.startswith(clause) for f in findings), findings
