"""Registrable domains ("amnesty.org.uk" of "https://www.amnesty.org.uk/x") of websites and
e-mail addresses, from the Public Suffix List that the ``publicsuffixlist`` package ships.

Nothing is fetched: ``PublicSuffixList()`` without a source reads the package's own
``public_suffix_list.dat`` (see :func:`_suffixes`). A sign-on is "domain verified" when
its e-mail address's registrable domain is its website's (:func:`domain_verified`);
it means something once the address is confirmed (the signer then controls a mailbox
of the organisation's domain).
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

__all__ = ["SHARED_HOSTS", "WEBMAIL", "domain_verified", "email_domain", "is_shared_host",
           "is_webmail", "registrable_domain", "website_domain"]

# Mail services where anyone can open an address: the same e-mail domain links nobody.
WEBMAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
    "protonmail.com", "pm.me", "gmx.com", "gmx.net", "gmx.de", "web.de", "yandex.com",
    "yandex.ru", "mail.ru", "zoho.com", "tutanota.com", "tuta.io", "fastmail.com",
    "hushmail.com", "mail.com", "riseup.net", "qq.com", "163.com", "naver.com",
})
# Providers with one domain per country (hotmail.fr, yahoo.co.uk, outlook.de ...).
_WEBMAIL_FAMILIES = frozenset({"hotmail", "outlook", "live", "yahoo", "gmx", "yandex"})


# Sites where many organisations have a page ("facebook.com/our-ngo"): the same registrable
# domain there says nothing about who an organisation is.
SHARED_HOSTS = frozenset({
    "facebook.com", "fb.com", "instagram.com", "twitter.com", "x.com", "linkedin.com",
    "youtube.com", "tiktok.com", "t.me", "telegram.me", "google.com", "wordpress.com",
    "substack.com", "medium.com", "linktr.ee", "wix.com", "squarespace.com", "weebly.com",
    "tumblr.com", "vk.com", "ok.ru", "github.com", "gitlab.com", "bsky.app", "mastodon.social",
})


# RFC 2606 / RFC 6761 names: documentation and tests, never an organisation's domain.
_RESERVED = frozenset({"example.com", "example.net", "example.org"})
_RESERVED_TLDS = frozenset({"test", "example", "invalid", "localhost", "local"})


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list bundled with the package; never downloaded


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str | None:
    """The registrable domain of a host name (public suffix plus one label), lower case,
    internationalised names in their ASCII form; None for IP addresses, bare public
    suffixes, reserved names (example.org, *.test, RFC 2606) and what is not a host name."""
    host = (host or "").strip().rstrip(".").lower()
    if not host or " " in host or "@" in host:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    domain = _suffixes().privatesuffix(host)
    if domain is None or domain in _RESERVED or domain.rpartition(".")[2] in _RESERVED_TLDS:
        return None
    return domain


def website_domain(url: str) -> str | None:
    """The registrable domain of a website address ("www.example.org/about" too)."""
    url = (url or "").strip()
    if not url:
        return None
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return registrable_domain(host or "")


def email_domain(address: str) -> str | None:
    """The registrable domain of an e-mail address ("a@mail.amnesty.org" → "amnesty.org")."""
    local, at, host = (address or "").strip().rpartition("@")
    if not at or not local:
        return None
    return registrable_domain(host)


def is_webmail(domain: str | None) -> bool:
    """Whether ``domain`` (registrable) is a mail service open to anyone."""
    if not domain:
        return False
    return domain in WEBMAIL or domain.partition(".")[0] in _WEBMAIL_FAMILIES


def is_shared_host(domain: str | None) -> bool:
    """Whether ``domain`` hosts pages of many organisations (see :data:`SHARED_HOSTS`)."""
    return bool(domain) and domain in SHARED_HOSTS


def domain_verified(email: str, website: str) -> bool:
    """Whether the e-mail address belongs to the website's registrable domain (not webmail)."""
    mail = email_domain(email)
    return (bool(mail) and not is_webmail(mail) and not is_shared_host(mail)
            and mail == website_domain(website))
