"""Development only (``COSIGN_DEV=1``): the mail outbox at /dev/mail."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, g, render_template, send_file

from cosign import mail
from cosign.extensions import db
from cosign.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def _no_store():
    g.no_store = True


@bp.get("/mail")
def outbox():
    return render_template("dev/mail.html", messages=mail.recent(db.session()))


@bp.get("/mail/<int:message_id>")
def message(message_id: int):
    item = db.session.get(OutboxMessage, message_id)
    if item is None:
        abort(404)
    return render_template("dev/message.html", message=item)


@bp.get("/mail/<int:message_id>/attachment")
def attachment(message_id: int):
    """The PDF a message carries, as the recipient would receive it."""
    item = db.session.get(OutboxMessage, message_id)
    if item is None:
        abort(404)
    try:
        attached = mail.attachment_of(db.session(), item, current_app.config)
    except (mail.MissingAttachment, OSError):
        abort(404)
    if attached is None:
        abort(404)

    name, data = attached[0]  # the reader's language (the authoritative PDF is the second)
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)
