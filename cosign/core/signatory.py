"""Signatories as plain data: the organisation types and the public fields of a signatory."""
from __future__ import annotations

from dataclasses import dataclass

ORG_TYPES = ("ngo", "party", "union", "association", "media", "academic", "faith", "other",
             "individual")
DISPLAYS = ("named", "withheld")

# Words people write in a "type" column, mapped to the codes above.
ORG_TYPE_WORDS = {
    "ngo": "ngo", "non-governmental organisation": "ngo", "non-governmental organization": "ngo",
    "human rights organisation": "ngo", "charity": "ngo",
    "party": "party", "political party": "party",
    "union": "union", "trade union": "union", "labour union": "union", "labor union": "union",
    "association": "association", "diaspora association": "association",
    "community association": "association",
    "media": "media", "newspaper": "media", "press": "media",
    "academic": "academic", "university": "academic", "research": "academic",
    "faith": "faith", "faith group": "faith", "religious": "faith", "religious group": "faith",
    "other": "other", "individual": "individual", "person": "individual",
}


def parse_org_type(value: str) -> str:
    """The type code for ``value`` (a code or a common word); ValueError otherwise."""
    word = " ".join((value or "").strip().lower().replace("_", " ").split())
    if not word:
        return "other"
    try:
        return ORG_TYPE_WORDS[word]
    except KeyError:
        raise ValueError(f"unknown organisation type {value!r}") from None


@dataclass(frozen=True)
class Signatory:
    """One signatory as the public sees it: no contact data."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    org_type: str = "other"
    display: str = "named"
    city: str = ""

    @property
    def withheld(self) -> bool:
        return self.display == "withheld"
