"""The printed statement: a PDF of the text and its signatories (WeasyPrint).

:func:`render_statement` lays out ``templates/pdf/statement.html`` with
``static/css/print.css``: letterhead (coalition, logo, place and date, a QR
code of the verification URL), title, text, "Signatories (N)" in two or
three columns, the press contact; "Page X of Y" and the verification line
on every page; the public signatory list attached as ``signatories.json``.

Safety: every WeasyPrint call goes through
:func:`cosign.core.pdf.fetcher.run_weasyprint`, with one ``SafeFetcher`` that
serves only ``cosign-static:css/print.css`` and the logo (``cosign-logo:``)
and refuses everything else (``file:``, ``data:``, ``http(s):``, relative
URLs); attachments declared in the HTML are dropped before the PDF is written.

Isolation: renders run in a small pool of worker processes (spawn start
method) with an address-space limit and a time limit; a render that times
out, runs out of memory or crashes its worker raises :class:`RenderError`
and the pool is replaced, so the next render works.

Speed: short lists are rendered as one document. Long ones are planned page
by page (:mod:`cosign.core.pdf.pagination`), rendered in chunks of about 16 pages
in parallel, and joined with pypdf (see NOTES.md for the measurements).

Use: ``render_statement(document, signatories, options)`` runs in the
default pool (2 workers, 120 s, 1.5 GB each), started on first use;
``configure(...)`` changes those limits, ``default_pool().start()`` warms the
workers ahead of time, ``shutdown()`` stops them (also at exit). Worker
processes are spawned, so a script calling this must guard its entry point
with ``if __name__ == "__main__":``. The cache key of a PDF should include
:data:`TEMPLATE_VERSION` and the :class:`RenderOptions`.

The modules: :mod:`~cosign.core.pdf.document` (what is printed, the options, the
limits), :mod:`~cosign.core.pdf.version` (:data:`TEMPLATE_VERSION`),
:mod:`~cosign.core.pdf.labels` (catalogues, dates, digits),
:mod:`~cosign.core.pdf.markup` (the HTML), :mod:`~cosign.core.pdf.pagination` (the
page plan), :mod:`~cosign.core.pdf.fetcher` (WeasyPrint behind the safe fetcher),
:mod:`~cosign.core.pdf.pool` (the worker processes and the module-level API) and
``__main__`` (the command line: ``python -m cosign.core.pdf statement.md
signatories.csv -o out.pdf``).
"""
from __future__ import annotations

from cosign.core.pdf.document import (
                                      DEFAULT_MEMORY_LIMIT,
                                      DEFAULT_TIMEOUT,
                                      DEFAULT_WORKERS,
                                      PAGE_SIZES,
                                      EarlierSigners,
                                      Original,
                                      PdfDocument,
                                      RenderError,
                                      RenderOptions,
)
from cosign.core.pdf.fetcher import SafeFetcher, html_to_pdf
from cosign.core.pdf.labels import counter_style, native_digits
from cosign.core.pdf.markup import css_string, printed_lines, public_signatory_json
from cosign.core.pdf.pool import (
                                      RenderPool,
                                      configure,
                                      default_pool,
                                      render_naive,
                                      render_statement,
                                      shutdown,
)
from cosign.core.pdf.version import TEMPLATE_VERSION

__all__ = ["DEFAULT_MEMORY_LIMIT", "DEFAULT_TIMEOUT", "DEFAULT_WORKERS", "PAGE_SIZES",
           "TEMPLATE_VERSION", "EarlierSigners", "Original", "PdfDocument", "RenderError",
           "RenderOptions", "RenderPool", "SafeFetcher", "configure", "counter_style",
           "css_string", "default_pool", "html_to_pdf", "native_digits", "printed_lines",
           "public_signatory_json", "render_naive", "render_statement", "shutdown"]
