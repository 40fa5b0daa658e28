"""cosign.core.letter: a draft proposed from an existing letter (issue 16, item 1).

The three example letters in ../shared/examples (read at test time, never copied into the
project) and texts written here, one for each kind of debris and damage."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosign.core.letter import propose
from tests.examples import example

# --- the three example letters ---------------------------------------------------------------

def test_joint_letter_with_a_list_cut_off_and_a_contact_block():
    proposal = propose(example("003"))
    assert proposal.date == dt.date(2021, 3, 1)
    assert len(proposal.signatories) == 11
    assert proposal.signatories[0] == "Iraqi Communist Party Organisation in Britain"
    assert "Iraqi Women’s League – UK" in proposal.signatories
    # the last name, cut off in this copy, is proposed and flagged
    assert proposal.signatories[-1] == "Kurdistan Communist Party Organisation in B"
    assert [f.kind for f in proposal.flags if f.text == proposal.signatories[-1]] == ["cut-off"]
    # the site's contact block after the end is dropped, and said to be
    dropped = {d.text: d.reason for d in proposal.dropped}
    assert dropped["Contact us"] == "after the end"
    assert dropped["Al - Andalus Square .. Baghdad .. Iraq"] == "after the end"
    assert "Contact us" not in proposal.body and "Communist Party of Britain" not in proposal.body
    assert proposal.body.startswith("Horrific news is coming out of Iraq")
    assert "We, the undersigned, strongly condemn" in proposal.body
    assert proposal.title == ""  # the letter has none: the coordinator writes it
    # "injured d by live ammunition": a stray letter
    assert any(f.kind == "doubled-letter" and f.text == "injured d by" for f in proposal.flags)


def test_campaign_statement_signed_by_one_network_has_no_list():
    proposal = propose(example("001"))
    assert proposal.signatories == ()
    assert proposal.title.startswith("Statement: Ensuing the Arrest Warrants")
    assert proposal.date == dt.date(2022, 3, 26)  # the date at the end
    assert "26th March, 2022" not in proposal.body
    assert "WE REFUSE TO BE SILENCED" not in proposal.body  # the title is not repeated


def test_press_release_with_link_debris_gets_no_invented_list():
    proposal = propose(example("000"))
    assert proposal.signatories == ()
    assert proposal.date == dt.date(2021, 6, 26)
    assert proposal.title.startswith("Could the International Community Find")
    assert "](#)" not in proposal.body and "[AOHR UK]" not in proposal.body
    assert "Arab Organisation for Human Rights in the UK (AOHR UK) condemned" in proposal.body
    assert {d.reason for d in proposal.dropped} >= {"link mark", "date"}
    # its last line names the organisation that issued it: pointed out, not imported
    assert [f.kind for f in proposal.flags] == ["possible-signer"]


# --- texts written here ------------------------------------------------------------------------

WEB_PAGE = """Skip to main content
Menu
Log in
Search

Joint statement: Stop the executions in Iran

12 May 2026

We, the organisations below, call on the authorities to halt all executions.

Share on Facebook
Tweet

The death penalty is irreversible.

We, the undersigned:

- Alliance for Human Rights
- Centre for Justice (CFJ)
- Union of Lawyers

Contact us
12 Example Street, London
info@example.org
© 2026 Example Network. All rights reserved.
"""


def test_web_page_debris_is_dropped_and_shown():
    proposal = propose(WEB_PAGE)
    assert proposal.title == "Joint statement: Stop the executions in Iran"
    assert proposal.date == dt.date(2026, 5, 12)
    assert proposal.signatories == ("Alliance for Human Rights", "Centre for Justice (CFJ)",
                                    "Union of Lawyers")
    assert proposal.list_heading == "We, the undersigned:"
    dropped = {d.text: d.reason for d in proposal.dropped}
    for line in ("Skip to main content", "Menu", "Log in", "Search", "Share on Facebook",
                 "Tweet"):
        assert dropped[line] == "web page", line
    for line in ("Contact us", "12 Example Street, London", "info@example.org",
                 "© 2026 Example Network. All rights reserved."):
        assert dropped[line] == "after the end", line
    # the line that introduced the list goes with it (cosign prints its own heading)
    assert proposal.body == ("We, the organisations below, call on the authorities to halt all "
                             "executions.\n\nThe death penalty is irreversible.\n")
    assert proposal.flags == ()


def test_numbered_list_and_duplicates():
    text = ("Open letter on the right to protest\n\nWe ask for the release of all detainees.\n\n"
            "1. Amnesty Group Basra\n2. Women for Peace\n3. amnesty group  basra\n"
            "4) Students' Union of Mosul\n")
    proposal = propose(text)
    assert proposal.signatories == ("Amnesty Group Basra", "Women for Peace",
                                    "Students' Union of Mosul")
    assert [f.kind for f in proposal.flags] == ["repeated-name"]  # the name listed twice


def test_one_name_a_line_after_a_heading():
    text = ("Statement on press freedom\n\nJournalists must be free.\n\n"
            "Signatories:\nPress Freedom Network\nRadio Dijla\nIraqi Journalists' Syndicate\n")
    proposal = propose(text)
    assert proposal.signatories == ("Press Freedom Network", "Radio Dijla",
                                    "Iraqi Journalists' Syndicate")
    assert proposal.list_heading == "Signatories:"
    assert "Radio Dijla" not in proposal.body and "Signatories" not in proposal.body


def test_arabic_letter():
    text = ("بيان مشترك بشأن قتل المتظاهرين\n\n٢٠٢٦-١١-١٦\n\nندين قتل المتظاهرين السلميين.\n\n"
            "الموقعون:\n\n- جمعية الأمل\n- منظمة NGO للحقوق\n- نقابة الصحفيين\n")
    proposal = propose(text)
    assert proposal.title == "بيان مشترك بشأن قتل المتظاهرين"
    assert proposal.signatories == ("جمعية الأمل", "منظمة NGO للحقوق", "نقابة الصحفيين")
    assert proposal.list_heading == "الموقعون:"


def test_a_news_report_about_a_statement_is_not_a_list():
    text = ("Rights groups condemn killings in Nasiriya\n\n"
            "More than thirty organisations signed a statement on Monday, among them\n"
            "Amnesty International and Human Rights Watch.\n\n"
            "The statement was also endorsed by local unions.\n\nRelated articles\nRead more\n")
    proposal = propose(text)
    assert proposal.signatories == ()
    assert {d.text for d in proposal.dropped} == {"Related articles", "Read more"}


def test_plain_lines_without_a_heading_are_not_taken_for_a_list():
    text = ("Statement on water\n\nThe river is dying.\n\n"
            "Basra Water Committee\nDhi Qar Farmers\n")
    assert propose(text).signatories == ()


def test_demands_in_a_list_stay_in_the_body():
    text = ("Statement on detentions\n\nWe demand:\n\n- The release of all detainees.\n"
            "- An independent inquiry into the killings.\n\nWe will not be silent.\n")
    proposal = propose(text)
    assert proposal.signatories == ()
    assert "- The release of all detainees.\n- An independent inquiry" in proposal.body


def test_demands_at_the_end_are_not_signatories():
    text = "Statement on detentions\n\nWe demand:\n\n- The release of all detainees.\n- Justice.\n"
    assert propose(text).signatories == ()


def test_a_phrase_repeated_by_copy_and_paste_is_flagged():
    text = ("Statement on elections\n\nThe authorities must guarantee free and fair elections "
            "for all citizens guarantee free and fair elections for all citizens in every "
            "province.\n")
    flags = propose(text).flags
    assert [f.kind for f in flags] == ["repeated"]
    assert "free and fair elections" in flags[0].text


@pytest.mark.parametrize("last", ["Kurdistan Women's Union (Erbil", "Basra Teachers' Union –",
                                  "Iraqi Al-Amal Association Br"])
def test_names_cut_off_at_the_end(last):
    text = f"Statement\n\nText of the statement here.\n\n- Union of Writers\n- {last}\n"
    proposal = propose(text)
    assert proposal.signatories[-1] == last
    assert [f.kind for f in proposal.flags] == ["cut-off"]


def test_whole_names_are_not_flagged():
    text = ("Statement\n\nText.\n\n- Union of Writers\n- Iraqi Women’s League – UK\n"
            "- Friends of the Earth (FoE)\n")
    assert propose(text).flags == ()


def test_headings_and_paragraph_lines_are_kept():
    text = ("Joint statement on the floods\r\n\r\nBackground\r\n\r\nThe floods hit\r\n"
            "three provinces.\r\n\r\nOur demands\r\n\r\n* Relief now\r\n* Rebuild homes\r\n")
    proposal = propose(text)
    assert proposal.body == ("## Background\n\nThe floods hit three provinces.\n\n"
                             "## Our demands\n\n- Relief now\n- Rebuild homes\n")
    assert proposal.signatories == ()  # demands, not names


@pytest.mark.parametrize("line, date", [
    ("1 March 2021", dt.date(2021, 3, 1)), ("March 1, 2021", dt.date(2021, 3, 1)),
    ("Date : 26/06/2021", dt.date(2021, 6, 26)), ("2026-11-16", dt.date(2026, 11, 16)),
    ("26th March, 2022", dt.date(2022, 3, 26)), ("London, 7 December 2026", dt.date(2026, 12, 7)),
    ("7 décembre 2026", dt.date(2026, 12, 7)),
])
def test_dates(line, date):
    assert propose(f"{line}\n\nStatement on water\n\nText.\n").date == date


def test_a_sentence_with_a_date_is_not_the_date():
    text = "Statement on water\n\nOn 1 March 2021 the protests began in Nasiriya city.\n"
    proposal = propose(text)
    assert proposal.date is None and "1 March 2021" in proposal.body


def test_empty_and_blank_texts():
    for text in ("", "   \n\n  \t\n"):
        proposal = propose(text)
        assert (proposal.title, proposal.body, proposal.signatories) == ("", "", ())


LINES = st.sampled_from([
    "", "", "Statement on water", "We, the undersigned:", "Signatories:", "- Union of Writers",
    "* Women for Peace", "1. Basra Teachers", "The river is dying.", "Contact us", "Log in",
    "12 May 2026", "[link](#) text", "جمعية الأمل", "We demand:", "- Justice now.",
]) | st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=30))
def test_never_invents_a_signatory(lines):
    """Whatever the text, every proposed name is in it (less its bullet and link marks),
    and the proposal never fails."""
    text = "\n".join(lines)
    proposal = propose(text)
    unlinked = re.sub(r"\[([^\]\n]{1,300})\]\((?:#|javascript:[^)]*|)\)", r"\1", text)
    unlinked = unicodedata.normalize("NFC", unlinked.replace("\r\n", "\n").replace("\r", "\n"))
    unlinked = "".join(" " if c == "\u00a0" else c for c in unlinked if c != "\ufeff" and (
        c in "\n\t" or unicodedata.category(c) != "Cc"))  # as the importer cleans a text
    for name in proposal.signatories:
        assert name in unlinked
    assert len(proposal.signatories) <= len(lines)
