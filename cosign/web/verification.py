"""/verify: anyone checks a PDF (uploaded, never stored) or a verification code."""
from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from cosign import pdfs
from cosign.extensions import db

bp = Blueprint("verification", __name__, url_prefix="/verify")


class VerifyForm(FlaskForm):
    file = FileField(validators=[Optional()])
    code = StringField(validators=[Optional(), Length(max=40)])
    submit = SubmitField()


def _newer(issued):
    """A more recent PDF of the same statement in the same language, if any."""
    latest = pdfs.latest(db.session(), issued.statement_id,
                         language=None if issued.authoritative else issued.language)
    return latest if latest is not None and latest.id != issued.id else None


def _result(issued, *, checked_file: bool, status: int = 200, earlier: bool = False):
    return render_template("verification/result.html", issued=issued, checked_file=checked_file,
                           newer=_newer(issued) if issued else None, earlier=earlier), status


@bp.route("", methods=["GET", "POST"])
def verify():
    g.no_store = True
    form = VerifyForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload and getattr(upload, "filename", ""):
            limit = current_app.config["COSIGN_VERIFY_MAX_BYTES"]
            data = upload.read(limit + 1)  # kept in memory only, never stored
            if len(data) > limit:
                form.file.errors = [_("The file is larger than %(mb)d MB.", mb=limit // 2**20)]
            elif not data.startswith(b"%PDF-"):
                form.file.errors = [_("This is not a PDF file.")]
            else:
                issued = pdfs.by_file(db.session(), data)
                digest = hashlib.sha256(data).hexdigest()
                if issued is None:
                    return render_template("verification/unknown.html", digest=digest), 200
                return _result(issued, checked_file=True,
                               earlier=pdfs.is_earlier_copy(issued, data))
        elif form.code.data:
            code = pdfs.normalise_code(form.code.data)
            if code:
                return redirect(url_for(".by_code", code=code))
            form.code.errors = [
                _("A verification code has 10 letters and digits, e.g. K7QM-3XWD-PA.")]
        else:
            form.code.errors = [_("Choose a PDF file or enter a verification code.")]
    return render_template("verification/form.html", form=form), 422 if form.errors else 200


@bp.get("/<code>")
def by_code(code: str):
    issued = pdfs.by_code(db.session(), code)
    if issued is None:
        return render_template("verification/unknown.html", code=code), 404
    return _result(issued, checked_file=False)
