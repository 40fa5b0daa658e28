"""The message catalogues: every interface language is complete, checked and current.

A user-facing string added without its Arabic and French translation fails here, as does a
fuzzy (guessed) entry, a translation that drops or invents a placeholder, an Arabic entry
left in Latin letters, and a messages.pot that no longer matches the source (run
``make messages``).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from cosign.config import DEFAULT_LANGUAGES, ROOT

TRANSLATIONS = ROOT / "cosign" / "translations"
TRANSLATED = [code for code in DEFAULT_LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")
ARABIC = re.compile(r"[\u0600-\u06FF]")
# msgids that are the same in every language (formats, codes)
SAME_EVERYWHERE = re.compile(r"^[\W\d_]*$|^(%\([a-z_]+\)[sd][\W]*)+$")


def _catalogue(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _template():
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        return read_po(f)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code):
    catalogue = _catalogue(code)
    missing = [m.id for m in _template() if m.id and (catalogue.get(m.id) is None or not all(
        _strings(catalogue.get(m.id))))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {code}: {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {code}: {fuzzy[:10]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_survive_translation(code):
    catalogue = _catalogue(code)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert not problems, problems[:10]
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for text in _strings(message):
            found = set(PLACEHOLDER.findall(text))
            assert found <= wanted | set(PLACEHOLDER.findall(ids[-1])), (message.id, text)
            if not isinstance(message.string, tuple):  # plural forms may spell the count out
                assert found == wanted, (message.id, text)


def test_arabic_is_written_in_arabic():
    untouched = []
    for message in _catalogue("ar"):
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        words = re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", re.sub(r"<[^>]+>", "", source)))
        if not source or SAME_EVERYWHERE.match(source) or len(words) < 2:
            continue
        if not all(ARABIC.search(text) for text in _strings(message)):
            untouched.append(source)
    assert not untouched, untouched[:10]


def test_the_template_matches_the_source(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-k", "N_",
                    "-o", str(fresh), "."], cwd=ROOT, check=True, capture_output=True)
    with open(fresh, "rb") as f:
        current = {m.id for m in read_po(f) if m.id}
    kept = {m.id for m in _template() if m.id}
    assert current - kept == set(), (
        f"new strings not extracted (run make messages): {sorted(current - kept, key=str)[:10]}"
    )
    assert kept - current == set(), (
        "strings no longer in the source (run make messages): "
        f"{sorted(kept - current, key=str)[:10]}"
    )


def test_every_configured_language_has_a_compiled_catalogue():
    for code in TRANSLATED:
        assert (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").exists(), \
            f"{code}: run make catalogues"
