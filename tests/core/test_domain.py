"""Tests for cosign.core.domain: registrable domains from the bundled Public Suffix List."""
import socket

import pytest

from cosign.core import domain
from cosign.core.domain import (
    domain_verified,
    email_domain,
    is_webmail,
    registrable_domain,
    website_domain,
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.amnesty.org.uk", "amnesty.org.uk"),
        ("amnesty.org", "amnesty.org"),
        ("AMNESTY.ORG.", "amnesty.org"),
        ("mail.hrw.org", "hrw.org"),
        ("ngo.github.io", "ngo.github.io"),  # a private suffix: each site its own
        ("co.uk", None),  # a bare public suffix
        ("192.0.2.7", None),
        ("[2001:db8::1]", None),
        ("example.org", None),  # RFC 2606: never an organisation's
        ("kwu.example.org", None),
        ("ngo.test", None),
        ("", None),
        ("not a host", None),
        ("مثال.السعودية", "xn--mgbh0fb.xn--mgberp4a5d4ar"),  # IDN: in ASCII form
    ],
)
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.amnesty.org/en/latest/", "amnesty.org"),
        ("http://amnesty.org.uk", "amnesty.org.uk"),
        ("www.hrw.org/about", "hrw.org"),
        ("https://user@www.hrw.org:8443/x", "hrw.org"),
        ("", None),
        ("https://", None),
        ("http://[::1", None),
    ],
)
def test_website_domain(url, expected):
    assert website_domain(url) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("press@amnesty.org", "amnesty.org"),
        ("Press@Mail.Amnesty.ORG.UK", "amnesty.org.uk"),
        ("a@b@hrw.org", "hrw.org"),
        ("no-at-sign.org", None),
        ("@hrw.org", None),
        ("", None),
    ],
)
def test_email_domain(address, expected):
    assert email_domain(address) == expected


@pytest.mark.parametrize(
    ("email", "website", "verified"),
    [
        ("director@amnesty.org", "https://www.amnesty.org", True),
        ("director@uk.amnesty.org", "amnesty.org", True),
        ("director@amnesty.org.uk", "https://www.amnesty.org", False),
        ("director@gmail.com", "https://www.amnesty.org", False),
        ("someone@gmail.com", "https://gmail.com", False),  # webmail proves nothing
        ("someone@facebook.com", "https://facebook.com/our-ngo", False),  # a shared host
        ("director@amnesty.org", "", False),
        ("", "https://www.amnesty.org", False),
        ("hana@kwu.example.org", "https://kwu.example.org", False),  # reserved names
    ],
)
def test_domain_verified(email, website, verified):
    assert domain_verified(email, website) is verified


def test_webmail_families():
    assert is_webmail("gmail.com") and is_webmail("hotmail.fr") and is_webmail("yahoo.co.uk")
    assert not is_webmail("amnesty.org") and not is_webmail(None)


def test_the_bundled_list_is_used_without_network(monkeypatch):
    def no_network(*_args, **_kwargs):
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    domain._suffixes.cache_clear()
    domain.registrable_domain.cache_clear()
    assert registrable_domain("www.amnesty.org.uk") == "amnesty.org.uk"
    assert registrable_domain("example.co.jp") == "example.co.jp"
