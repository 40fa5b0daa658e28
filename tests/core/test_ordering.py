"""The print order of signatories: UCA collation, withheld last, grouping (pure)."""
import pytest

from cosign.core.ordering import TYPE_ORDER, collation_key, group_signatories, order_signatories
from cosign.core.signatory import Signatory


def named(name, country="GB", org_type="ngo", city=""):
    return Signatory(name, country, org_type, "named", city)


def withheld(country, org_type="ngo", name="Secret"):
    return Signatory(name, country, org_type, "withheld")


def names(signatories):
    return [s.name for s in signatories]


def test_accents_and_case_are_ignored_at_the_first_level():
    ordered = names(order_signatories([named("Emilia"), named("Zed"), named("émile"),
                                       named("Émile"), named("Abd"), named("ábc"),
                                       named("emile")]))
    assert ordered[:2] == ["ábc", "Abd"]
    assert set(ordered[2:5]) == {"emile", "émile", "Émile"}  # together, before Emilia
    assert ordered[5:] == ["Emilia", "Zed"]


def test_emile_sorts_with_emile():
    ordered = names(order_signatories([named("Emily"), named("Émile Zola Institute"),
                                       named("Emile Durkheim Centre"), named("Eagle")]))
    assert ordered == ["Eagle", "Emile Durkheim Centre", "Émile Zola Institute", "Emily"]


def test_collation_key_is_deterministic_for_equal_primary_keys():
    assert collation_key("emile") != collation_key("Émile")
    assert sorted(["Émile", "emile", "Emile"], key=collation_key) == \
        sorted(["emile", "Emile", "Émile"], key=collation_key)


def test_arabic_names_sort_among_themselves_after_latin():
    arabic = ["مركز", "جمعية النور", "أمل", "بيت", "النور"]
    ordered = names(order_signatories([named(n) for n in arabic] + [named("Zed"), named("Abd")]))
    assert ordered[:2] == ["Abd", "Zed"]
    # Arabic alphabetical order: alif (أمل, النور), ba, jim, mim
    assert ordered[2:] == ["أمل", "النور", "بيت", "جمعية النور", "مركز"]


def test_withheld_come_last_sorted_by_country_name_whatever_their_names():
    people = [withheld("SY", name="Aaa"), named("Zeta"), withheld("DE", name="Zzz"),
              named("Alpha"), withheld("IQ", name="Mmm")]
    ordered = order_signatories(people)
    assert names(ordered[:2]) == ["Alpha", "Zeta"]
    assert [s.country for s in ordered[2:]] == ["DE", "IQ", "SY"]  # Germany, Iraq, Syria


def test_withheld_position_does_not_depend_on_input_order():
    people = [withheld("IQ", "union"), withheld("IQ", "ngo"), named("A"), withheld("FR")]
    forward = order_signatories(people)
    backward = order_signatories(list(reversed(people)))
    assert forward == backward


def test_as_given_keeps_the_callers_order_but_withheld_still_last():
    people = [named("Zed"), withheld("IQ"), named("Abd"), named("Mim")]
    assert names(order_signatories(people, "as-given")) == ["Zed", "Abd", "Mim", "Secret"]


def test_country_names_are_collated_in_the_given_locale():
    people = [withheld("DE"), withheld("FR")]
    # English: France < Germany; German: Deutschland < Frankreich
    assert [s.country for s in order_signatories(people, locale="en")] == ["FR", "DE"]
    assert [s.country for s in order_signatories(people, locale="de")] == ["DE", "FR"]


def test_group_by_country_in_collated_country_name_order():
    people = [named("B", "IQ"), named("A", "DE"), named("C", "EG"), withheld("IQ"),
              named("Ä", "IQ")]
    groups = group_signatories(people, "country")
    assert [key for key, _ in groups] == ["EG", "DE", "IQ"]  # Egypt, Germany, Iraq
    assert names(groups[2][1]) == ["Ä", "B", "Secret"]


def test_group_by_type_in_type_order_with_other_last():
    people = [named("X", org_type="other"), named("Y", org_type="union"),
              named("Z", org_type="ngo"), named("W", org_type="individual")]
    keys = [key for key, _ in group_signatories(people, "type")]
    assert keys == ["ngo", "union", "individual", "other"]
    assert TYPE_ORDER[-1] == "other"


def test_no_grouping_is_one_group_and_empty_list_no_group():
    people = [named("B"), named("A")]
    assert group_signatories(people) == [("", order_signatories(people))]
    assert group_signatories([]) == []


def test_unknown_order_or_grouping():
    with pytest.raises(ValueError):
        order_signatories([], "random")
    with pytest.raises(ValueError):
        group_signatories([], "city")


def test_word_by_word_keys_equal_pyuca_sort_keys():
    import pyuca

    collator = pyuca.Collator()
    samples = ["Émile Zola Institute", "  two  spaces ", "L·l Catalan", "جمعية النور لحقوق الإنسان",
               "ڕێکخراوی مافی مرۆڤ", "a \u0301 combining after space", "Ωmega Ångström",
               "Straße & Co.", "O'Brien-Smith (UK)", "", " ", "ﷲ ligature", "ǅemal",
               "日本 語", "Ħal Far", "İstanbul Barosu", "Ǆ x"]
    for text in samples:
        assert collation_key(text)[0] == collator.sort_key(text), text
