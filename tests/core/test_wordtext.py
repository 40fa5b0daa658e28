"""cosign.core.wordtext: the text of a Word file, as the letter importer reads it; and
cosign.core.letter.listed, the signatories as the coordinator corrects them."""
from __future__ import annotations

import io
import zipfile

import pytest

from cosign.core import wordtext
from cosign.core.letter import Listed, listed, propose, script_language
from tests.examples import word_file


def _letter(document) -> None:
    document.add_heading("Joint statement on the arrest of five journalists", 1)
    document.add_paragraph("London, 3 March 2026")
    document.add_paragraph("We condemn the arrest of five journalists in Sahel al-Nour.")
    document.add_heading("Our demands", 2)
    document.add_paragraph("Release them now.", style="List Number")
    document.add_paragraph("Drop all charges.", style="List Number")
    document.add_paragraph("Signatories:")
    for name in ["Hope Association", "Press Freedom Network", "جمعية الأمل لحقوق الإنسان"]:
        document.add_paragraph(name, style="List Bullet")


def test_headings_paragraphs_and_lists_are_kept():
    text = wordtext.text_of(word_file(_letter))
    assert text.splitlines() == [
        "Joint statement on the arrest of five journalists", "",
        "London, 3 March 2026", "",
        "We condemn the arrest of five journalists in Sahel al-Nour.", "",
        "Our demands", "",
        "1. Release them now.", "2. Drop all charges.", "",
        "Signatories:", "",
        "- Hope Association", "- Press Freedom Network", "- جمعية الأمل لحقوق الإنسان"]


def test_a_word_letter_becomes_a_proposal():
    proposal = propose(wordtext.text_of(word_file(_letter)))
    assert proposal.title == "Joint statement on the arrest of five journalists"
    assert str(proposal.date) == "2026-03-03"
    assert proposal.signatories == ("Hope Association", "Press Freedom Network",
                                    "جمعية الأمل لحقوق الإنسان")
    assert "## Our demands" in proposal.body and "1. Release them now." in proposal.body
    assert "Hope Association" not in proposal.body


def test_line_breaks_inside_a_paragraph_are_kept():
    def build(document):
        paragraph = document.add_paragraph("Signed by")
        paragraph.add_run().add_break()
        paragraph.add_run("Hope Association")
    assert wordtext.text_of(word_file(build)).splitlines() == ["Signed by", "Hope Association"]


@pytest.mark.parametrize("data", [
    b"", b"name,country\nHope,IQ\n", b"PK\x03\x04 not really a zip",
])
def test_what_is_not_a_word_file_is_refused(data):
    with pytest.raises(wordtext.NotAWordFile) as caught:
        wordtext.text_of(data)
    assert caught.value.reason == "not-docx"


def test_a_zip_that_is_not_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")  # an OpenDocument, say
    with pytest.raises(wordtext.NotAWordFile):
        wordtext.text_of(out.getvalue())


def test_a_damaged_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><unclosed")
    with pytest.raises(wordtext.NotAWordFile):
        wordtext.text_of(out.getvalue())


def test_a_file_that_unpacks_to_too_much_is_refused_before_it_is_read():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * (wordtext.MAX_UNPACKED + 1))
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(wordtext.NotAWordFile) as caught:
        wordtext.text_of(out.getvalue())
    assert caught.value.reason == "too-big"


def test_the_corrected_list_one_name_a_line_with_an_optional_country():
    text = "- Hope Association | iq\n\n2. Press Freedom Network\nA|B Collective\n" \
           "جمعية الأمل | IQ\n   \nUnion of Writers |FR  \n"
    assert listed(text) == [
        Listed(1, "Hope Association", "IQ"), Listed(3, "Press Freedom Network", ""),
        Listed(4, "A|B Collective", ""), Listed(5, "جمعية الأمل", "IQ"),
        Listed(7, "Union of Writers", "FR")]
    assert listed("") == [] and listed("\n - \n") == []


def test_the_script_of_a_letter():
    assert script_language("بيان مشترك بشأن الاختفاء القسري (NGO)") == "ar"
    assert script_language("Joint statement, with one word: الأمل") == ""
    assert script_language("2026") == ""
