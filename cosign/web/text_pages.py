"""The desk's pages of one text: the authoritative text, or one of its translations.

The text and comments, editor, history, diff and revision pages are the same templates
for both; :class:`TextPages` gives them the text's language and its addresses.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from cosign.core.language import text_direction


@dataclass(frozen=True)
class TextPages:
    slug: str
    language: str
    current: int  # the number of the current revision
    restorable: bool  # older revisions can be restored
    translation: str | None = None  # the translation's language; None: the authoritative text

    @property
    def direction(self) -> str:
        return text_direction(self.language)

    def url(self, page: str, **values) -> str:
        """``page``: statement, edit, history, diff, revision, restore or add_comment."""
        if self.translation is None:
            return url_for(f"desk.{page}", slug=self.slug, **values)
        return url_for(f"translations.{page}", slug=self.slug, lang=self.translation, **values)


def authoritative(statement) -> TextPages:
    return TextPages(statement.slug, statement.language, statement.current_revision,
                     statement.status == "draft")


def of_translation(statement, translation) -> TextPages:
    return TextPages(statement.slug, translation.language, translation.current_revision, True,
                     translation.language)
