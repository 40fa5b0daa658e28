"""cosign.core.likeness.Index finds what the linear comparison (tests/core/likeness_oracle.py)
finds, for any list of names: same entry, same reason, built at once or extended."""
from hypothesis import given, settings
from hypothesis import strategies as st

from cosign.core.likeness import Entry, Index, best_match
from cosign.core.names import name_key
from tests.core.likeness_oracle import linear_best_match

# families of names that match one another for every reason, and words to mix them
FAMILIES = [
    ["Human Rights Watch", "HRW", "Hum Rights Watch", "Human Rigts Watch", "Human Rights Wtch",
     "The Human Rights Watch"],
    ["Amnesty International", "Amnesty Intl", "AI", "Amnesty Internationl",
     "Amn\u0435sty International", "\u0410mnesty International", "AMNESTY INTL"],
    ["Iraqi Jurists Association", "Iraqi Jurists Assoc", "IJA", "Iraqi Jurist Association",
     "Iraq Jurists Association"],
    ["Peace Centre Group 12", "Peace Centre Group 13", "Peace Center Group 12", "PCG",
     "Peace Ctr Group 12"],
    ["\u0645\u0646\u0638\u0645\u0629 \u0627\u0644\u0639\u0641\u0648",
     "\u0645\u0646\u0638\u0645\u0647 \u0627\u0644\u0639\u0641\u0648",
     "\u0645\u0646\u0638\u0645\u0629 NGO"],
    ["M\u00e9decins Sans Fronti\u00e8res", "MSF", "Medecins Sans Frontieres", "Med Sans Front"],
]
WORDS = ["of", "the", "Union", "Lawyers", "Women", "Network", "Centre", "12", "NGO"]
DOMAINS = ["", "", "amnesty.org", "hrw.org", "facebook.com", "gmail.com", "peace.org"]

names = st.one_of(
    st.sampled_from([name for family in FAMILIES for name in family]),
    st.lists(st.sampled_from(WORDS + [n for f in FAMILIES for n in f]), min_size=1,
             max_size=3).map(" ".join))


@st.composite
def entries(draw):
    listed = draw(st.lists(st.tuples(names, st.sampled_from(DOMAINS), st.sampled_from(DOMAINS)),
                           max_size=40))
    return [Entry(i, name, name_key(name), website or None, email or None)
            for i, (name, website, email) in enumerate(listed, start=1)]


@settings(max_examples=600, deadline=None)
@given(entries(), names, st.sampled_from(DOMAINS), st.sampled_from(DOMAINS),
       st.integers(min_value=0, max_value=41), st.integers(min_value=0, max_value=40))
def test_the_index_finds_what_the_linear_comparison_finds(existing, name, website, email,
                                                          own_id, split):
    new = Entry(own_id, name, name_key(name), website or None, email or None)
    expected = linear_best_match(new, existing)
    assert best_match(new, existing) == expected
    grown = Index(existing[:split])
    grown.extend(existing[split:])
    assert grown.best(new) == expected and len(grown) == len(existing)


def test_of_two_matches_for_one_reason_the_earlier_wins():
    def listed(*names):
        return [Entry(i, n, name_key(n)) for i, n in enumerate(names, start=1)]

    human = Entry(0, "Human Rights Watch", name_key("Human Rights Watch"))
    for existing in (listed("HRW", "Hum Rights Watch"), listed("Hum Rights Watch", "HRW"),
                     listed("Human Rigts Watch", "Human Rights Wtch")):
        assert Index(existing).best(human) == linear_best_match(human, existing)
        best = Index(existing).best(human)
        assert best is not None and best.id == 1
    hrw = Entry(0, "HRW", name_key("HRW"))
    existing = listed("Human Rights Watch", "Hum Rights Watch", "Human Rights Watch Iraq")
    assert Index(existing).best(hrw) == linear_best_match(hrw, existing) == (1, "abbreviation")
