"""Ways to alter a certified PDF, each with real bytes: what a forger would do.

Each function takes the bytes of a certified PDF and returns altered bytes that
still parse as a PDF.  All but ``flip_signed_byte`` keep the certified revision
byte for byte and add to it (an incremental update or a tail), which is what
certification alone does not forbid.
"""
from __future__ import annotations

import re
from io import BytesIO

FORGED_SUBJECT = "signed by 999 signatories"


def _write(writer) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def rewrite_info_subject(pdf: bytes) -> bytes:
    """An incremental update that rewrites the Info dictionary: subject, title, author."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    info_ref = writer.trailer.raw_get("/Info")
    info = info_ref.get_object()
    info[generic.NameObject("/Subject")] = generic.TextStringObject(FORGED_SUBJECT)
    info[generic.NameObject("/Title")] = generic.TextStringObject("Forged title")
    info[generic.NameObject("/Author")] = generic.TextStringObject("Someone else")
    writer.update_container(info)
    return _write(writer)


def rewrite_xmp(pdf: bytes) -> bytes:
    """An incremental update that replaces the XMP metadata stream of the catalogue."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    xmp = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{FORGED_SUBJECT}</rdf:li>'
        '</rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode()
    stream = generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/Metadata"),
        generic.NameObject("/Subtype"): generic.NameObject("/XML"),
    }, stream_data=xmp)
    writer.root[generic.NameObject("/Metadata")] = writer.add_object(stream)
    writer.update_root()
    return _write(writer)


def append_bytes(pdf: bytes) -> bytes:
    """Bytes after the final ``%%EOF``, no new revision."""
    return pdf + b"\n% signed by 999 signatories\n"


def signed_range(pdf: bytes) -> tuple[int, int, int, int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match, "no /ByteRange in the PDF"
    start, length, rest, rest_length = (int(v) for v in match.groups())
    return start, length, rest, rest_length


def flip_signed_byte(pdf: bytes) -> bytes:
    """One byte changed inside the signed range (the version in the header, %PDF-1.7 to
    %PDF-1.6: every reader still opens it), same length."""
    _, len1, _, _ = signed_range(pdf)
    at = len(b"%PDF-1.")
    assert pdf[:at] == b"%PDF-1." and at < len1, "the byte must lie inside the signed range"
    return pdf[:at] + (b"6" if pdf[at:at + 1] != b"6" else b"5") + pdf[at + 1:]


def alter_signature_padding(pdf: bytes) -> bytes:
    """One hex digit changed in the zero padding after the signature value: the one
    part of the file no signature can cover (it changes nothing that is shown)."""
    _, len1, start2, _ = signed_range(pdf)
    at = start2 - 2  # the last hex digit before the closing '>'
    assert pdf[at:at + 2] == b"0>", "expected zero padding at the end of /Contents"
    return pdf[:at] + b"1" + pdf[at + 1:]


def add_page_content(pdf: bytes) -> bytes:
    """An incremental update that adds a content stream to the first page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    text = f"BT /Helvetica 18 Tf 72 72 Td ({FORGED_SUBJECT}) Tj ET".encode()
    stream_ref = writer.add_object(generic.StreamObject(stream_data=text))
    writer.add_stream_to_page(0, stream_ref)
    return _write(writer)


TAMPERS = {
    "info-subject": rewrite_info_subject,
    "xmp-metadata": rewrite_xmp,
    "appended-bytes": append_bytes,
    "flipped-signed-byte": flip_signed_byte,
    "page-content": add_page_content,
    "signature-padding": alter_signature_padding,
}
