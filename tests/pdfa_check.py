"""A checker for the machine-checkable PDF/A-3 rules that cosign's PDFs could break.

veraPDF, the reference checker, is not installable here (neither PyPI nor Debian has it,
and it needs Maven Central). No PyPI package checks PDF/A. So this module checks, with
pikepdf, the rules of ISO 19005-3 that a WeasyPrint render, the chunk join and pyHanko's
certification and timestamps could plausibly break. It is a subset, not a validator;
the README lists what it covers. Each finding names the clause (PDF/A-2 and -3 share
their numbering) and what was found.
"""
from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import pikepdf

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
NS_PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
NS_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
NS_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
# XMP schemas PDF/A needs no extension schema for (ISO 19005-2, 6.6.2.3.2, and the
# namespaces PDF/A itself defines)
PREDEFINED = {
    RDF, "http://www.w3.org/XML/1998/namespace", "adobe:ns:meta/",
    "http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/xap/1.0/",
    "http://ns.adobe.com/xap/1.0/rights/", "http://ns.adobe.com/xap/1.0/mm/",
    "http://ns.adobe.com/xap/1.0/bj/", "http://ns.adobe.com/xap/1.0/t/pg/",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#", "http://ns.adobe.com/xap/1.0/sType/Version#",
    "http://ns.adobe.com/xap/1.0/sType/Dimensions#", "http://ns.adobe.com/xap/1.0/sType/Font#",
    "http://ns.adobe.com/pdf/1.3/", "http://ns.adobe.com/photoshop/1.0/",
    "http://ns.adobe.com/tiff/1.0/", "http://ns.adobe.com/exif/1.0/",
    "http://ns.adobe.com/exif/1.0/aux/", "http://ns.adobe.com/xap/1.0/g/img/",
    NS_PDFAID, NS_EXTENSION, NS_SCHEMA, "http://www.aiim.org/pdfa/ns/property#",
    "http://www.aiim.org/pdfa/ns/type#", "http://www.aiim.org/pdfa/ns/field#",
}
FORBIDDEN_ACTIONS = {"/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/Hide",
                     "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView", "/JavaScript"}


def check(data: bytes, *, level: str = "A", ua: bool = True) -> list[str]:
    """Findings (empty: none) of the PDF/A-3 subset for ``data``."""
    findings: list[str] = []
    if not re.match(rb"%PDF-1\.[4-7]\r?\n%[\x80-\xff]{4}", data):
        findings.append("6.1.2: header is not %PDF-1.n followed by a binary comment")
    pdf = pikepdf.open(io.BytesIO(data))
    trailer, root = pdf.trailer, pdf.Root
    if "/Encrypt" in trailer:
        findings.append("6.1.3: the file is encrypted")
    if "/ID" not in trailer:
        findings.append("6.1.3: the trailer has no /ID")
    findings += _metadata(pdf, level=level, ua=ua)
    findings += _output_intent(root)
    findings += _fonts(pdf)
    findings += _annotations(pdf)
    findings += _actions(pdf)
    findings += _attachments(pdf)
    findings += _streams(pdf)
    if level == "A":
        if not (root.get("/MarkInfo") and root.MarkInfo.get("/Marked") is True):
            findings.append("6.7.2.2: /MarkInfo /Marked is not true (level A is tagged)")
        if "/StructTreeRoot" not in root:
            findings.append("6.7.3: no structure tree (level A)")
        if "/Lang" not in root:
            findings.append("6.7.4: no /Lang in the catalogue")
    return findings


def _metadata(pdf, *, level: str, ua: bool) -> list[str]:
    out: list[str] = []
    root = pdf.Root
    if "/Metadata" not in root:
        return ["6.6.2.1: no XMP metadata stream in the catalogue"]
    stream = root.Metadata
    try:
        xml = ElementTree.fromstring(stream.read_bytes().strip().split(b"?>", 1)[1]
                                     .rsplit(b"<?xpacket", 1)[0])
    except (ElementTree.ParseError, IndexError) as exc:
        return out + [f"6.6.2.1: the XMP metadata is not well-formed XML ({exc})"]
    values, used, declared = _xmp_properties(xml)
    if values.get((NS_PDFAID, "part")) != "3":
        out.append(f"6.6.4: pdfaid:part is {values.get((NS_PDFAID, 'part'))!r}, not 3")
    if values.get((NS_PDFAID, "conformance")) != level:
        out.append(f"6.6.4: pdfaid:conformance is {values.get((NS_PDFAID, 'conformance'))!r}, "
                   f"not {level}")
    if ua and values.get((NS_PDFUAID, "part")) != "1":
        out.append("PDF/UA-1 5: pdfuaid:part is not 1")
    for namespace in sorted(used - PREDEFINED - declared):
        out.append(f"6.6.2.3.2: XMP schema {namespace} is neither predefined nor declared by "
                   "an extension schema")
    return out + _info_matches_xmp(pdf, xml, values)


def _xmp_properties(xml) -> tuple[dict[tuple[str, str], str], set[str], set[str]]:
    """The XMP's (namespace, name) -> value, the namespaces it uses and those it declares."""
    values: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    declared: set[str] = set()
    for element in xml.iter():
        for name, value in [(element.tag, element.text or ""), *element.attrib.items()]:
            if name.startswith("{"):
                namespace, local = name[1:].split("}", 1)
                used.add(namespace)
                values.setdefault((namespace, local), value.strip())
        if element.tag == f"{{{NS_SCHEMA}}}namespaceURI":
            declared.add((element.text or element.get(f"{{{RDF}}}resource") or "").strip())
        elif element.get(f"{{{NS_SCHEMA}}}namespaceURI"):
            declared.add(element.get(f"{{{NS_SCHEMA}}}namespaceURI"))
    return values, used, declared


def _info_matches_xmp(pdf, xml, values: dict[tuple[str, str], str]) -> list[str]:
    out = []
    info = pdf.trailer.get("/Info")
    if info is not None:
        pairs = {"/Title": ("http://purl.org/dc/elements/1.1/", "title"),
                 "/Producer": ("http://ns.adobe.com/pdf/1.3/", "Producer"),
                 "/Keywords": ("http://ns.adobe.com/pdf/1.3/", "Keywords"),
                 "/Creator": ("http://ns.adobe.com/xap/1.0/", "CreatorTool")}
        for key, (namespace, local) in pairs.items():
            if key in info:
                text = _alt_text(xml, namespace, local) or values.get((namespace, local))
                if text != str(info[key]):
                    out.append(f"6.6.2.3.1: Info {key} {str(info[key])!r} differs from XMP "
                               f"{local} {text!r}")
    return out


def _alt_text(xml, namespace: str, local: str) -> str | None:
    for element in xml.iter(f"{{{namespace}}}{local}"):
        for li in element.iter(f"{{{RDF}}}li"):
            return (li.text or "").strip()
    return None


def _output_intent(root) -> list[str]:
    intents = [i for i in root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
    if not intents:
        return ["6.2.3: no /GTS_PDFA1 output intent"]
    profile = intents[0].get("/DestOutputProfile")
    if profile is None or "/N" not in profile:
        return ["6.2.3: the output intent has no ICC profile with /N"]
    return []


def _fonts(pdf) -> list[str]:
    out = []
    seen: set = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources", {})
        for font in list(resources.get("/Font", {}).values()):
            if font.objgen in seen:
                continue
            seen.add(font.objgen)
            described = font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font
            if font.get("/Subtype") == "/Type3":
                continue
            descriptor = described.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in
                                             ("/FontFile", "/FontFile2", "/FontFile3")):
                out.append(f"6.2.11.4: font {font.get('/BaseFont')} is not embedded")
            if "/ToUnicode" not in font:
                out.append(f"6.2.11.7: font {font.get('/BaseFont')} has no /ToUnicode "
                           "(levels A and U)")
    return out


def _annotations(pdf) -> list[str]:
    out = []
    for number, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", []):
            subtype = annot.get("/Subtype")
            if subtype == "/Popup":
                continue
            flags = int(annot.get("/F", 0))
            if not flags & 4 or flags & (1 | 2 | 32):
                out.append(f"6.3.2: {subtype} annotation on page {number} has flags {flags} "
                           "(Print must be set; Hidden, Invisible and NoView not)")
            rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
            zero = rect[0] == rect[2] or rect[1] == rect[3]
            if subtype != "/Link" and not zero and "/AP" not in annot:
                out.append(f"6.3.3: {subtype} annotation on page {number} has no appearance")
            action = annot.get("/A")
            if action is not None and action.get("/S") in FORBIDDEN_ACTIONS:
                out.append(f"6.5.1: forbidden action {action.get('/S')} on page {number}")
    return out


def _actions(pdf) -> list[str]:
    root = pdf.Root
    out = []
    if "/JavaScript" in root.get("/Names", {}):
        out.append("6.5.1: document-level JavaScript")
    if "/AA" in root:
        out.append("6.5.2: the catalogue has additional actions")
    opener = root.get("/OpenAction")
    if isinstance(opener, pikepdf.Dictionary) and opener.get("/S") in FORBIDDEN_ACTIONS:
        out.append(f"6.5.1: forbidden open action {opener.get('/S')}")
    return out


def _attachments(pdf) -> list[str]:
    out = []
    associated = {f.objgen for f in pdf.Root.get("/AF", [])}
    names = pdf.Root.get("/Names", {}).get("/EmbeddedFiles", {}).get("/Names", [])
    for spec in list(names)[1::2]:
        label = str(spec.get("/UF", spec.get("/F", "?")))
        if spec.objgen not in associated:
            out.append(f"6.8: {label} is not an associated file (/AF of the catalogue)")
        if "/AFRelationship" not in spec:
            out.append(f"6.8: {label} has no /AFRelationship")
        if "/F" not in spec or "/UF" not in spec:
            out.append(f"6.8: {label} lacks /F or /UF")
        stream = spec.get("/EF", {}).get("/F")
        if stream is None:
            out.append(f"6.8: {label} has no embedded file stream")
            continue
        if "/Subtype" not in stream:
            out.append(f"6.8: {label} has no MIME type (/Subtype)")
        if "/ModDate" not in stream.get("/Params", {}):
            out.append(f"6.8: {label} has no /Params /ModDate")
    return out


def _streams(pdf) -> list[str]:
    out = []
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if "/F" in obj.stream_dict and obj.stream_dict.get("/Type") != "/EmbeddedFile":
            out.append(f"6.1.7.1: stream {obj.objgen} refers to an external file")
        found = obj.stream_dict.get("/Filter")
        filters = [found] if isinstance(found, pikepdf.Name) else list(found or [])
        if pikepdf.Name("/LZWDecode") in filters:
            out.append(f"6.1.7.2: stream {obj.objgen} uses LZW")
    return out
