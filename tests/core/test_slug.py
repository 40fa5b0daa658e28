"""Tests for cosign.core.slug."""

import pytest

from cosign.core.slug import is_valid_slug, slugify


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("We Stand Together", "we-stand-together"),
        ("Café crème — Été 2024!", "cafe-creme-ete-2024"),
        ("Straße der Solidarität", "strasse-der-solidaritat"),
        ("  --Hello,   World--  ", "hello-world"),
        ("Łódź & Øresund", "lodz-oresund"),
        ("بيان التضامن", "بيان-التضامن"),
        ("بيانُ مشتركٌ حولَ حريةِ الصحافة", "بيان-مشترك-حول-حرية-الصحافة"),
        ("بيان ٢٠٢٤", "بيان-2024"),
        ("ـبيـان الـتضامن", "بيان-التضامن"),
        ("Заявление о свободе", "заявление-о-свободе"),
        ("2024", "statement"),
        ("", "statement"),
        ("بيان Gaza", "بيان-gaza"),
        ("Statement on Basra بيان", "statement-on-basra"),
        ("AI", "statement-ai"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
    ],
)
def test_slugify(title: str, expected: str) -> None:
    assert slugify(title) == expected
    assert is_valid_slug(expected)


def test_slugify_cuts_at_word_boundary() -> None:
    title = "solidarity " * 20
    slug = slugify(title)
    assert len(slug) <= 80
    assert slug == "-".join(["solidarity"] * 7)
    assert slugify("alpha beta gamma", max_length=12) == "alpha-beta"
    assert slugify("alpha beta gamma", max_length=10) == "alpha-beta"


def test_slugify_cuts_long_word() -> None:
    assert slugify("x" * 100) == "x" * 80


def test_slugify_rejects_tiny_max_length() -> None:
    with pytest.raises(ValueError):
        slugify("anything", max_length=2)


@pytest.mark.parametrize("slug", ["abc", "we-stand-together", "a1-b2", "2024-call", "x" * 80,
                                  "بيان-مشترك", "заявление-2024"])
def test_valid_slugs(slug: str) -> None:
    assert is_valid_slug(slug)


@pytest.mark.parametrize(
    "slug",
    ["", "ab", "x" * 81, "-abc", "abc-", "a--b", "ABC", "caf\u00e9", "a_b", "a b", "abc\n",
     "بيانُ-مشترك", "Заявление", "بيان\u0640مشترك", "بيان—مشترك"],
)
def test_invalid_slugs(slug: str) -> None:
    assert not is_valid_slug(slug)
