"""Tests for cosign.core.likeness: "possibly the same" signatories and the reason why."""
import random
import string

import pytest

from cosign.core.likeness import Entry, Match, best_match
from cosign.core.names import name_key


def entry(id_, name, website=None, email=None):
    return Entry(id=id_, name=name, key=name_key(name), website=website, email=email)


@pytest.mark.parametrize(
    ("new", "existing", "reason"),
    [
        ("Amnesty Intl", "Amnesty International", "abbreviation"),
        ("Amnesty International", "Amnesty Intl", "abbreviation"),
        ("HRW", "Human Rights Watch", "abbreviation"),
        ("Human Rights Watch", "HRW", "abbreviation"),
        ("MSF", "Médecins Sans Frontières", "abbreviation"),
        ("Assoc. of Iraqi Jurists", "Association of Iraqi Jurists", "abbreviation"),
        ("Amnesty Internatonal", "Amnesty International", "spelling"),
        ("Iraqi Democratik Association", "Iraqi Democratic Association", "spelling"),
        ("ВАТ", "BAT", "look-alike"),  # Cyrillic capitals: the same in capitals only
        ("ТНЕ СОМРАNY", "The Company", "look-alike"),
    ],
)
def test_reasons_by_name(new, existing, reason):
    assert best_match(entry(0, new), [entry(7, existing)]) == Match(7, reason)


def test_same_website_and_translation():
    arabic = entry(0, "منظمة العفو الدولية", website="amnesty.org")
    latin = entry(3, "Amnesty International", website="amnesty.org")
    assert best_match(arabic, [latin]) == Match(3, "translation")
    section = entry(0, "Amnesty UK Section", website="amnesty.org")
    assert best_match(section, [latin]) == Match(3, "website")
    # without a website (or with another one) a translation is not caught
    assert best_match(entry(0, "منظمة العفو الدولية"), [latin]) is None
    assert best_match(entry(0, "منظمة العفو الدولية", website="amnesty.ps"), [latin]) is None


def test_shared_hosts_say_nothing():
    new = entry(0, "First Group", website="facebook.com")
    assert best_match(new, [entry(1, "Second Union", website="facebook.com")]) is None


def test_email_domain_but_not_webmail():
    new = entry(0, "Women for Peace", email="peace-ngo.org")
    assert best_match(new, [entry(4, "Peace Library", email="peace-ngo.org")]) == Match(
        4, "email-domain")
    gmail = entry(0, "Women for Peace", email="gmail.com")
    assert best_match(gmail, [entry(4, "Peace Library", email="gmail.com")]) is None


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        ("Amnesty International", "Human Rights Watch"),
        ("Iraqi Democratic Association", "Iraqi Women's League"),
        ("Union of Teachers", "Union of Journalists"),
        ("PAX", "HRW"),
        ("AI", "Action Iraq"),  # two letters of another name only
        ("Group 12", "Group 13"),  # short keys: no spelling match
    ],
)
def test_different_organisations_are_not_matched(new, existing):
    found = best_match(entry(0, new), [entry(1, existing)])
    assert found is None or found.reason == "abbreviation" and new == "AI", found


def test_same_key_is_not_similar_and_self_is_skipped():
    assert best_match(entry(1, "Amnesty International"), [entry(2, "AMNESTY INTERNATIONAL")]) \
        is None
    assert best_match(entry(2, "Amnesty Intl"), [entry(2, "Amnesty International")]) is None
    assert best_match(entry(0, "Anything"), []) is None


def test_order_of_reasons_website_first():
    new = entry(0, "Amnesty Intl", website="amnesty.org")
    found = best_match(new, [entry(1, "Amnesty International"),
                             entry(2, "Something Else", website="amnesty.org")])
    assert found == Match(2, "website")


def test_among_ten_thousand_names_the_near_one_is_found():
    """(Speed: benchmarks/sign_throughput.py --signatories 10000 times the whole sign-on.)"""
    rng = random.Random(13)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
             .title() for _ in range(3000)]
    names = sorted({" ".join(rng.choice(words) for _ in range(rng.randint(2, 4)))
                    for _ in range(10_000)})
    candidates = [entry(i, name) for i, name in enumerate(names, start=1)]
    target = next(i for i, name in enumerate(names, start=1) if len(name) > 12)
    typo = names[target - 1][:-1] + ("x" if names[target - 1][-1] != "x" else "y")
    assert best_match(entry(0, typo), candidates) == (target, "spelling")
    assert best_match(entry(0, "Zz Qq Unheard Of"), candidates) is None
