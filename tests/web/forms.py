"""The sign-on form as a browser posts it, filled in; ``overrides`` change fields."""


def form(**overrides):
    data = {"organisation": "Kurdistan Women's Union", "country": "IQ", "city": "Erbil",
            "org_type": "union", "website": "https://kwu.example.org", "contact_name": "Hana Aziz",
            "contact_role": "Chair", "email": "hana@kwu.example.org", "display": "named",
            "authorised": "y", "message": "Count us in.", "kind": "organisation", "fax": ""}
    data.update(overrides)
    return data
