"""The word diff of two revisions of a text, as templates/_diff.html shows it (the desk's
diff page, a translation's changes, the public page of a correction)."""
from __future__ import annotations

from cosign.core.diff import diff_stats, paragraph_diff


def diff_context(old, new) -> dict:
    """The word diff of two revisions, for templates/_diff.html."""
    body = paragraph_diff(old.body, new.body)
    header = {
        name: paragraph_diff(before, after)
        for name, before, after in [
            ("title", old.title, new.title),
            ("place", old.place, new.place),
            ("date", old.date.isoformat() if old.date else "",
             new.date.isoformat() if new.date else ""),
        ]
        if before != after
    }
    inserted = deleted = 0
    for part in [*body, *[p for parts in header.values() for p in parts]]:
        i, d = diff_stats(part)
        inserted, deleted = inserted + i, deleted + d
    return {"body": body, "header": header, "inserted": inserted, "deleted": deleted}
