"""Public pages: the index, a statement, signing on, and the links from signatories' e-mails."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from cosign import (
    cards,
    database,
    drafting,
    embargo,
    pdfs,
    publishing,
    signatories,
    signing,
    translating,
)
from cosign.core.countries import country_name
from cosign.core.language import text_direction
from cosign.core.markdown import render_markdown
from cosign.extensions import db, limiter
from cosign.models import Statement
from cosign.web import signatory_list
from cosign.web.converters import query_int
from cosign.web.diffs import diff_context
from cosign.web.forms import ORG_TYPE_LABELS, ActionForm, SignForm, country_options
from cosign.web.languages import autonym
from cosign.web.links import link_for, link_problem, site_url
from cosign.web.messages import error_text
from cosign.web.resend_form import ResendForm
from cosign.web.signatory_list import listings

bp = Blueprint("public", __name__)

VISIBLE = ("open", "closed", "published")


@bp.get("/")
def index():
    published = db.session.scalars(publishing.published_query().limit(50)).all()
    open_now = db.session.scalars(publishing.open_for_signature_query().limit(50)).all()
    counts = signatories.approved_counts(db.session(), [s.id for s in [*published, *open_now]])
    return render_template("public/index.html", published=published, open_now=open_now,
                           counts=counts)


def _public_statement(slug: str) -> Statement:
    statement = db.session.scalar(select(Statement).where(Statement.slug == slug))
    if statement is None or statement.status not in VISIBLE:
        abort(404)
    if statement.status != "published" and (statement.visibility == "unlisted"
                                             or embargo.is_embargoed(statement)):
        g.robots = "noindex"  # reachable through its link only, until published
    return statement


@bp.get("/s/<slug>")
def statement(slug: str):
    """The statement, and its list from the snapshot kept in memory (:mod:`cosign.listing`):
    pages of 100 names, a search, an initials strip and a country filter
    (:mod:`cosign.web.signatory_list`); no query reads the list unless it changed."""
    return _statement_page(_public_statement(slug))


@bp.get("/s/<slug>/<lang>")
def translation(slug: str, lang: str):
    """A translation of the statement: its text, a notice naming the authoritative text it
    translates (and whether that text changed since), the same list."""
    stmt = _public_statement(slug)
    if lang == stmt.language:
        return redirect(url_for(".statement", slug=slug), 301)
    return _statement_page(stmt, lang)


def _statement_page(stmt, lang: str | None = None):
    versions = translating.public_versions(db.session(), stmt)
    shown = None
    if lang is not None:
        shown = next(((t, r) for t, r in versions if t.language == lang), None)
        if shown is None:
            abort(404)
    text = _signed_text(stmt) if shown is None else _translated_text(shown[1])
    public_list = listings().get(db.session, stmt)
    show_list = stmt.public_list or stmt.status == "published"
    list_html = (signatory_list.html(public_list, stmt.slug, stmt.signed_revision,
                                     str(get_locale() or "en"))
                 if show_list and public_list.printed else None)
    language = shown[0].language if shown else stmt.language
    return render_template(
        "public/statement.html", statement=stmt, revision=text,
        pdf=pdfs.latest(db.session(), stmt.id, language=shown[0].language if shown else None),
        correction=publishing.correction(db.session(), stmt),
        html=text.html, total=public_list.total, list_html=list_html, show_list=show_list,
        is_open=signing.is_open(stmt), direction=text_direction(language),
        summary=text.summary, text_language=language, translation=shown and shown[1],
        outdated=shown is not None and translating.is_outdated(shown[1], stmt.signed_sha256),
        texts=_texts(stmt, versions, language), card_version=_card_version(stmt),
    )


def _card_version(stmt: Statement) -> str | None:
    """The version of the statement's share card for its link-preview tags (one ``stat``),
    or None before the worker has made the first one (then it is asked for, once)."""
    config = current_app.config
    if not cards.enabled(config):
        return None
    version = cards.version_of(config, stmt.id)
    if version is None and stmt.pdf_wanted_at is None:
        pdfs.request_render(db.session(), stmt)  # rare: cards are made with every PDF
    return version


@bp.get("/s/<slug>/card.png")
def card(slug: str):
    """The statement's share card (1200 × 630 PNG, its link-preview image), from the file
    the worker made: never rendered here. While a newer card is being made this one is
    served; before the first exists, 404 (and the worker is asked for it)."""
    stmt = _public_statement(slug)
    config = current_app.config
    path = cards.path_of(config, stmt.id)
    if not cards.enabled(config) or not path.is_file():
        _card_version(stmt)
        abort(404)
    return send_file(path, mimetype="image/png", conditional=True, etag=True, max_age=300,
                     download_name=f"{slug}.png", as_attachment=False)


def _texts(stmt, versions, current: str) -> list[dict]:
    """The statement's languages for its switcher and hreflang links: the authoritative text
    first."""
    found = [{"language": stmt.language, "authoritative": True,
              "url": url_for(".statement", slug=stmt.slug),
              "absolute": site_url("public.statement", slug=stmt.slug)}]
    found += [{"language": t.language, "authoritative": False,
               "url": url_for(".translation", slug=stmt.slug, lang=t.language),
               "absolute": site_url("public.translation", slug=stmt.slug, lang=t.language)}
              for t, _row in versions]
    for text in found:
        text["current"] = text["language"] == current
        text["name"] = autonym(text["language"])
    return found


def _translated_text(row) -> SignedText:
    """A translation's current text, rendered once (kept by its SHA-256 like the signed one)."""
    return _kept_text((row.sha256, -row.translation_id), lambda: row)


class SignedText(NamedTuple):
    """What the statement page shows of its signed revision."""

    number: int
    title: str
    place: str
    date: dt.date | None
    html: str
    summary: str


_SIGNED_TEXTS: dict[tuple[str, int], SignedText] = {}


def _signed_text(stmt: Statement) -> SignedText:
    """The signed text, rendered once per text rather than per view: kept by its SHA-256
    (which covers title, place, date and body), so it can never be another text's."""
    if stmt.signed_revision is None:  # no signed text to show
        raise drafting.StatementNotFound("no signed revision")
    return _kept_text((stmt.signed_sha256, stmt.signed_revision),
                      lambda: drafting.signed_revision(db.session(), stmt))


def _kept_text(key: tuple[str, int], load) -> SignedText:
    """The rendered text kept under ``key``; ``load()`` gives the revision (the authoritative
    text's or a translation's) when it is not kept yet. A translation is numbered by the
    authoritative version it translates."""
    found = _SIGNED_TEXTS.get(key)
    if found is None:
        revision = load()
        number = getattr(revision, "source_revision", None) or revision.number
        found = SignedText(number, revision.title, revision.place, revision.date,
                           render_markdown(revision.body), summary_of(revision.body))
        if len(_SIGNED_TEXTS) >= 256:
            _SIGNED_TEXTS.clear()
        _SIGNED_TEXTS[key] = found
    return found


def summary_of(body: str, limit: int = 200) -> str:
    """The first paragraph as plain text, for link previews."""
    first = next((p for p in body.split("\n\n") if p.strip()), "")
    text = " ".join(Markup(render_markdown(first)).striptags().split())
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


@bp.get("/s/<slug>/changes")
def changes(slug: str):
    """What a correction changed in a published statement's text."""
    stmt = _public_statement(slug)
    correction = publishing.correction(db.session(), stmt)
    versions = publishing.signed_versions(db.session(), stmt)
    if correction is None and not (request.args.get("to", "") and request.args.get("from", "")):
        abort(404)
    new_number = query_int("to", correction.current if correction else 0, strict=False)
    old_number = query_int("from", correction.previous if correction else 0, strict=False)
    if old_number not in versions or new_number not in versions or old_number >= new_number:
        abort(404)

    old = drafting.get_revision(db.session(), stmt.id, old_number)
    new = drafting.get_revision(db.session(), stmt.id, new_number)
    return render_template("public/changes.html", statement=stmt, old=old, new=new,
                           direction=text_direction(stmt.language), **diff_context(old, new))


def _country_options() -> tuple:
    return country_options(str(get_locale() or "en"))


def _country_name(code: str) -> str:
    return country_name(code, str(get_locale() or "en"))


def _sign_ip_key() -> str:
    return "sign-ip:" + (request.remote_addr or "")


def _sign_domain_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return "sign-domain:" + email.rpartition("@")[2]


def _sign_limit_ip() -> str:
    return current_app.config["COSIGN_SIGN_LIMIT_IP"]


def _sign_limit_domain() -> str:
    return current_app.config["COSIGN_SIGN_LIMIT_DOMAIN"]


@bp.route("/s/<slug>/sign", methods=["GET", "POST"])
@limiter.limit(_sign_limit_ip, methods=["POST"], key_func=_sign_ip_key, scope="sign-ip")
@limiter.limit(_sign_limit_domain, methods=["POST"], key_func=_sign_domain_key,
               scope="sign-domain")
def sign(slug: str):
    # Read in a deferred transaction; signing.sign takes the write lock only for the write.
    database.set_write_intent(False)
    stmt = _public_statement(slug)
    g.no_store = True
    if not signing.is_open(stmt):
        return render_template("public/sign_closed.html", statement=stmt), 410
    form = SignForm(countries=_country_options())
    if not stmt.allow_individuals:
        form.kind.data = "organisation"
    reading = _reading(stmt, request.args.get("text"))
    read_language = reading.language if reading else stmt.language
    if form.validate_on_submit():
        try:
            signing.sign(
                db.session(), stmt,
                signing.SignOn(
                    organisation=form.organisation.data, country=form.country.data,
                    email=form.email.data, contact_name=form.contact_name.data,
                    org_type=form.org_type.data, city=form.city.data or "",
                    website=form.website.data or "", contact_role=form.contact_role.data or "",
                    display=form.display.data, message=form.message.data or "",
                    kind=form.kind.data if stmt.allow_individuals else "organisation",
                    language=str(get_locale() or ""), read_language=read_language,
                ),
                secret_key=current_app.config["SECRET_KEY"], link_for=link_for,
                ip=request.remote_addr, honeypot=bool(form.fax.data),
            )
        except signing.SigningClosed:
            return render_template("public/sign_closed.html", statement=stmt), 410
        except signing.SigningError as exc:
            field = getattr(form, exc.field or "", None)
            if field is None:
                field = form.organisation
            field.errors = list(field.errors) + [error_text(exc)]
        else:
            # the URL's slug: reading stmt.slug after the commit would begin a new transaction
            return redirect(url_for(".sign_sent", slug=slug), 303)
    status = 422 if form.errors else 200
    return render_template("public/sign.html", statement=stmt, form=form, reading=reading,
                           direction=text_direction(stmt.language)), status


class Reading(NamedTuple):
    """The translation a signatory read on the sign page (``?text=<language>``)."""

    language: str
    source_revision: int
    outdated: bool


def _reading(stmt, language: str | None) -> Reading | None:
    if not language or language == stmt.language or len(language) > 35:
        return None
    for translation, row in translating.public_versions(db.session(), stmt):
        if translation.language == language:
            return Reading(language, row.source_revision,
                           translating.is_outdated(row, stmt.signed_sha256))
    return None


def sign_throttled():
    stmt = _public_statement((request.view_args or {}).get("slug", ""))
    form = SignForm(countries=_country_options())
    form.validate_on_submit()
    return render_template("public/sign.html", statement=stmt, form=form, throttled=True,
                           direction=text_direction(stmt.language)), 429


@bp.get("/s/<slug>/sign/sent")
def sign_sent(slug: str):
    stmt = _public_statement(slug)
    return render_template("public/sign_sent.html", statement=stmt)


def _link_problem(exc: Exception):
    return link_problem(exc, signing.LinkExpired,
                        _("Links in our e-mails work for a limited time. Sign the "
                          "statement again to receive a new one."))


def _confirm_link_problem(exc: Exception, token: str):
    """An expired confirmation link points to "resend my confirmation" for its statement."""
    if not isinstance(exc, signing.LinkExpired):
        return _link_problem(exc)
    stmt = signing.statement_of_expired(db.session(), token,
                                        secret_key=current_app.config["SECRET_KEY"])
    if stmt is None or stmt.status not in VISIBLE or not signing.is_open(stmt):
        return _link_problem(exc)
    g.no_store = True
    return render_template(
        "public/link.html", heading=_("This link has expired"),
        message=_("Links in our e-mails work for seven days. Ask for a new link: we send it to "
                  "the address you signed with."),
        action=(url_for(".resend", slug=stmt.slug), _("Send me a new link")),
        statement=stmt), 410


def _closed_page(signature):
    return render_template("public/link.html", heading=_("Signing is closed"),
                           message=_("This statement no longer accepts changes to its list of "
                                     "signatories. Your signature was left as it was."),
                           statement=signature.statement if signature else None), 410


def _taken_page(exc: signing.NameTaken, statement):
    return render_template("public/link.html", heading=_("Already on the list"),
                           message=error_text(exc), statement=statement), 409


def _button_pressed() -> None:
    """A state-changing POST from one of our pages: its CSRF token must be right."""
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in the confirmation e-mail shows what will be confirmed (GET and HEAD change
    nothing: mail scanners open links); the page's button confirms (POST)."""
    g.no_store, g.referrer_policy = True, "no-referrer"
    secret, max_age = current_app.config["SECRET_KEY"], current_app.config["COSIGN_CONFIRM_MAX_AGE"]
    if request.method == "POST":
        database.set_write_intent(False)  # the service takes the write lock after rendering
        _button_pressed()
        try:
            signature, changed = signing.confirm(db.session(), token, secret_key=secret,
                                                 link_for=link_for, max_age=max_age)
        except signing.SigningClosed:
            return _closed_page(None)
        except signing.NameTaken as exc:
            return _taken_page(exc, None)
        except signing.LinkInvalid as exc:
            return _confirm_link_problem(exc, token)
        return _confirmed_page(signature, changed)
    try:
        signature = signing.read_confirmation(db.session(), token, secret_key=secret,
                                              max_age=max_age)
    except signing.LinkInvalid as exc:
        return _confirm_link_problem(exc, token)
    stmt = signature.statement
    if signature.status != "unconfirmed":
        return _confirmed_page(signature, False)
    if not signing.is_open(stmt):
        return _closed_page(signature)
    if signing.is_taken(db.session(), signature):
        return _taken_page(signing.NameTaken(signature.public_name), stmt)
    return render_template("public/confirm.html", signature=signature, statement=stmt,
                           form=ActionForm())


def _confirmed_page(signature, changed: bool):
    if signature.status == "approved" and changed:
        heading, message = _("Thank you: your signature is on the list"), _(
            "The signature of “%(name)s” is confirmed and shown on the statement.",
            name=signature.public_name)
    elif changed:
        heading, message = _("Thank you: your signature is confirmed"), _(
            "The coordinators will review the signature of “%(name)s”. You will receive an "
            "e-mail when it appears on the list.", name=signature.public_name)
    else:
        heading, message = _("Already confirmed"), _(
            "This signature was confirmed before; nothing has changed.")
    return render_template("public/link.html", heading=heading, message=message,
                           statement=signature.statement)


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
def withdraw(token: str):
    g.no_store, g.referrer_policy = True, "no-referrer"
    secret = current_app.config["SECRET_KEY"]
    try:
        signature = signing.read_withdrawal(db.session(), token, secret_key=secret)
    except signing.LinkInvalid as exc:
        return _link_problem(exc)
    if request.method == "POST":
        _button_pressed()
        try:
            signature, _changed = signing.withdraw(db.session(), token, secret_key=secret)
        except signing.SigningClosed:
            return _closed_page(signature)
        return render_template("public/link.html", heading=_("Your signature is withdrawn"),
                               message=_("“%(name)s” no longer appears on the list of signatories "
                                         "and will not be printed.", name=signature.public_name),
                               statement=signature.statement)
    if signature.status == "withdrawn":
        return render_template("public/link.html", heading=_("Already withdrawn"),
                               message=_("This signature was withdrawn before."),
                               statement=signature.statement)
    if not signing.is_open(signature.statement):
        return _closed_page(signature)
    return render_template("public/withdraw.html", signature=signature,
                           statement=signature.statement)


@bp.route("/reconfirm/<token>", methods=["GET", "POST"])
def reconfirm(token: str):
    """The link in the re-confirmation e-mail shows the word diff between the version signed
    and the current one; the page's button re-confirms (POST)."""
    g.no_store, g.referrer_policy = True, "no-referrer"
    secret = current_app.config["SECRET_KEY"]
    try:
        if request.method == "POST":
            _button_pressed()
            signature, changed = signing.reconfirm(db.session(), token, secret_key=secret)
        else:
            signature, changed = signing.read_reconfirmation(db.session(), token,
                                                             secret_key=secret), None
    except signing.SigningClosed:
        return _closed_page(None)
    except signing.SigningError as exc:
        return render_template("public/link.html", heading=_("Nothing to re-confirm"),
                               message=error_text(exc)), 409
    except signing.LinkInvalid as exc:
        return _link_problem(exc)
    stmt = signature.statement
    if changed is None and signature.revision != stmt.signed_revision:
        if stmt.status not in signing.CORRECTABLE:
            return _closed_page(signature)
        old = drafting.get_revision(db.session(), stmt.id, signature.revision)
        new = drafting.signed_revision(db.session(), stmt)
        return render_template("public/reconfirm.html", signature=signature, statement=stmt,
                               old=old, new=new, form=ActionForm(),
                               direction=text_direction(stmt.language), **diff_context(old, new))
    return render_template(
        "public/link.html",
        heading=_("Thank you: you have re-confirmed") if changed else _("Already re-confirmed"),
        message=_("“%(name)s” now signs version %(n)d of the text.",
                  name=signature.public_name, n=signature.revision),
        statement=stmt)


# --- "resend my confirmation" -----------------------------------------------------------

RESEND_LIMIT_IP = "10 per hour"
RESEND_LIMIT_EMAIL = "5 per hour"


@bp.record_once
def _resend_defaults(state) -> None:
    state.app.config.setdefault("COSIGN_RESEND_LIMIT_IP", RESEND_LIMIT_IP)
    state.app.config.setdefault("COSIGN_RESEND_LIMIT_EMAIL", RESEND_LIMIT_EMAIL)


def _resend_ip_key() -> str:
    return "resend-ip:" + (request.remote_addr or "")


def _resend_email_key() -> str:
    return "resend-email:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/s/<slug>/resend", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COSIGN_RESEND_LIMIT_IP"], methods=["POST"],
               key_func=_resend_ip_key, scope="resend-ip")
@limiter.limit(lambda: current_app.config["COSIGN_RESEND_LIMIT_EMAIL"], methods=["POST"],
               key_func=_resend_email_key, scope="resend-email")
def resend(slug: str):
    """Ask for new confirmation links: the answer is the same whatever the address did;
    the mail (to that address only) says what there is."""
    database.set_write_intent(False)  # the service takes the write lock after rendering
    stmt = _public_statement(slug)
    g.no_store = True
    if not signing.is_open(stmt):
        return render_template("public/sign_closed.html", statement=stmt), 410
    form = ResendForm()
    if form.validate_on_submit():
        if not form.fax.data:  # a bot filled the hidden field: the same answer, no mail
            try:
                signing.resend(db.session(), stmt, form.email.data,
                               secret_key=current_app.config["SECRET_KEY"], link_for=link_for)
            except signing.SigningClosed:
                return render_template("public/sign_closed.html", statement=stmt), 410
        return redirect(url_for(".resend_sent", slug=slug), 303)
    return render_template("public/resend.html", statement=stmt, form=form), \
        422 if form.errors else 200


@bp.get("/s/<slug>/resend/sent")
def resend_sent(slug: str):
    stmt = _public_statement(slug)
    return render_template("public/resend_sent.html", statement=stmt)


@bp.app_context_processor
def _signatory_labels():
    return {"org_type_label": org_type_label, "country_name": _country_name}


def org_type_label(code: str) -> str:
    return str(ORG_TYPE_LABELS.get(code, code))


@bp.get("/s/<slug>.pdf")
def statement_pdf(slug: str):
    """The statement's PDF, served from the issued file: never rendered here.

    The newest issued PDF is found with one indexed lookup and sent with its
    ETag (the file's SHA-256), Last-Modified, conditional GET and Range. When
    the list changed since, that PDF is still served (it is genuine for its
    own list, and its header says it is not the newest) while the worker makes
    the new one; when none exists yet, a page that refreshes itself answers
    503 with Retry-After.
    """
    return _send_pdf(slug, pdfs.download(db.session(), slug))  # one query, no ORM objects


@bp.get("/s/<slug>/<lang>.pdf")
def translation_pdf(slug: str, lang: str):
    """A translation's PDF: the same list, its own verification code."""
    info = pdfs.download(db.session(), slug, lang)
    if info is not None and info.file_name is None and not translating.exists(
            db.session(), info.statement_id, lang):
        abort(404)
    return _send_pdf(slug, info, lang)


def _disposition(name: str) -> str:
    """``inline`` with the file's name; a name in another script (an Arabic slug) as
    RFC 6266's ``filename*``, with an ASCII ``filename`` for old clients."""
    if name.isascii():
        return f'inline; filename="{name}"'
    return f"inline; filename=\"statement.pdf\"; filename*=UTF-8''{quote(name)}"


def _send_pdf(slug: str, info, lang: str | None = None):
    if info is None or info.status not in VISIBLE:
        abort(404)
    if info.status != "published" and (info.visibility == "unlisted"
                                        or info.publish_at is not None):
        g.robots = "noindex"  # as on the statement's page
    config = current_app.config
    if not info.current and info.pdf_wanted_at is None:
        pdfs.request_render(db.session(), info)  # rare: a template change, a lost mark
    if info.file_name is None:
        retry = int(config.get("COSIGN_PDF_RETRY_AFTER") or 10)  # a first render takes seconds
        response = make_response(render_template(
            "public/pdf_pending.html", slug=slug, retry=retry, pdf_url=request.path), 503)
        response.headers["Retry-After"] = str(retry)
        response.headers["Cache-Control"] = "no-store"
        return response
    name = f"{slug}{'-' + lang if lang else ''}-{info.created_at.date().isoformat()}.pdf"
    modified = info.created_at.replace(tzinfo=dt.UTC)
    accel = config.get("COSIGN_PDF_ACCEL_REDIRECT")
    if accel:  # nginx sends the file (internal location); conditional GET and Range are its job
        response = make_response("")
        response.headers["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{info.file_name}"
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = _disposition(name)
        response.headers["ETag"] = f'"{info.sha256}"'
        response.last_modified = modified
    else:
        path = Path(config["COSIGN_STORAGE_DIR"]) / "pdfs" / info.file_name
        response = send_file(path, mimetype="application/pdf", as_attachment=False,
                             download_name=name, etag=info.sha256, last_modified=modified,
                             conditional=True, max_age=60 if info.current else 0)
    response.headers["X-Verification-Code"] = info.code
    # "current": shows the list as it is now; "previous": a newer one is being made
    response.headers["X-Cosign-PDF"] = "current" if info.current else "previous"
    return response


