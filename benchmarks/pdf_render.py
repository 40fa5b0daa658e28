"""PDF of a statement with 1,000, 5,000 and 20,000 signatories: cosign's planned,
chunked render against one WeasyPrint render of the whole document, in the same run.

cosign (cosign.core.pdf.render_statement) measures every name, plans the pages,
renders chunks of about 16 pages in a 2-process pool and joins them; the baseline
(render_naive) lays the whole document out at once with CSS columns, in a worker
process of its own. Both pools are started and warmed before timing. Prints times,
the ratio, pages and peak memory (VmHWM from /proc of the parent plus the workers:
the sum of their peaks, an upper bound), and checks the targets:
1,000 names ≤ 1.0 s warm (median of 3), 20,000 ≤ 0.3 × the baseline,
time(20,000) / time(1,000) ≤ 22, peak memory ≤ 500 MB.

    .venv/bin/python -m benchmarks.pdf_render              # 1,000, 5,000, 20,000
    .venv/bin/python -m benchmarks.pdf_render 1000 5000    # other sizes
    .venv/bin/python -m benchmarks.pdf_render --app 1000 10000   # the whole app path

``--app`` times what the worker does for a statement, not the warmed pool
alone: a statement with N approved signatories in a fresh SQLite database (made
through the services, collation keys stored as sign-ons would), then
``pdfs.render_wanted``: the lease, the snapshot read (text, ordered list from
the stored keys), the cache key, the chunked render, the certification with a
freshly generated key, the file and the record. Printed per phase; the first
run (cold pool, cold fonts) is not counted.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cosign.core.pdf import PdfDocument, RenderOptions, RenderPool
from cosign.core.signatory import Signatory

ROOT = Path(__file__).resolve().parents[1]
PLACES = ["Sahel al-Nour", "Riverside", "Basra", "Lyon", "Berlin", "Amman", "Leeds", "Tunis",
          "Erbil", "Nairobi", "Porto Alegre", "Kraków", "Zürich", "Montréal", "Ciudad Juárez",
          "Saint-Étienne", "Sulaymaniyah", "Beirut", "Cairo", "Istanbul"]
TOPICS = ["Human Rights", "Press Freedom", "Civic Studies", "Democracy", "Women's Solidarity",
          "Migrant Workers", "Peaceful Assembly", "Legal Aid", "Youth", "Environmental Justice",
          "Free Expression", "Independent Journalists", "Teachers", "Students", "Lawyers",
          "Disability Rights", "Refugee Support", "Labour Rights", "Transparency", "Peace"]
KINDS = ["Centre", "Network", "Association", "Union", "Forum", "Institute", "Coalition",
         "Committee", "Society", "League", "Foundation", "Alliance", "Initiative", "Council",
         "Observatory", "Collective"]
ARABIC_KINDS = ["جمعية", "مركز", "منظمة", "اتحاد", "شبكة", "رابطة", "مؤسسة", "ملتقى"]
ARABIC_TOPICS = ["النور لحقوق الإنسان", "الدفاع عن الصحفيين", "المرأة العاملة", "الطلبة الأحرار",
                 "العدالة الانتقالية", "المجتمع المدني", "حرية التعبير", "دعم اللاجئين"]
OTHER_RTL = ["سازمان دفاع از حقوق بشر", "انجمن روزنامه‌نگاران آزاد", "ڕێکخراوی مافی مرۆڤ",
             "کۆمەڵەی ئافرەتان"]
COUNTRIES = ["IQ", "GB", "DE", "FR", "JO", "TN", "KE", "BR", "PL", "CH", "CA", "MX", "US", "IR",
             "LB", "EG", "TR", "SE", "NL", "IT"]
TYPES = ["ngo", "union", "association", "media", "academic", "faith", "party", "other"]


def signatories(count: int, seed: int = 1) -> list[Signatory]:
    """Organisation names of realistic length (15–90 characters), about 15 % in
    Arabic, Persian or Kurdish, 3 % withheld, half with a city."""
    rng = random.Random(seed)
    people = []
    for number in range(count):
        draw = rng.random()
        if draw < 0.11:
            name = f"{rng.choice(ARABIC_KINDS)} {rng.choice(ARABIC_TOPICS)} {number}"
        elif draw < 0.14:
            name = f"{rng.choice(OTHER_RTL)} {number}"
        elif draw < 0.15:
            name = f"{rng.choice(ARABIC_KINDS)} {rng.choice(ARABIC_TOPICS)} – " \
                   f"{rng.choice(TOPICS)} {rng.choice(KINDS)} {number}"
        elif draw < 0.35:
            name = f"The {rng.choice(PLACES)} {rng.choice(KINDS)} for {rng.choice(TOPICS)} " \
                   f"and {rng.choice(TOPICS)} {number}"
        else:
            name = f"{rng.choice(PLACES)} {rng.choice(TOPICS)} {rng.choice(KINDS)} {number}"
        people.append(Signatory(
            name, rng.choice(COUNTRIES), rng.choice(TYPES),
            "withheld" if rng.random() < 0.03 else "named",
            rng.choice(PLACES) if rng.random() < 0.5 else ""))
    return people


DOCUMENT = PdfDocument(
    title="Joint statement on the killing of protesters in Sahel al-Nour",
    body=(ROOT / "cosign" / "demo_texts" / "r3.md").read_text(),
    coalition="Coalition for Civic Freedom in Sahel al-Nour", place="London",
    date=dt.date(2026, 11, 16), press_name="Amira Haddad", press_email="press@example.org",
    press_phone="+44 20 7946 0000", version=3, text_sha256="0" * 64)
OPTIONS = RenderOptions(verification_code="ABCD2345",
                        verification_url="https://cosign.example/verify/ABCD2345",
                        issued_at=dt.datetime(2026, 11, 16, 9, 0))


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak(pid: int) -> None:
    try:  # "5" resets VmHWM (Linux ≥ 4.0); without permission the peak is since start
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def _workers(pool: RenderPool) -> list[int]:
    executor = pool.executor()
    return list(getattr(executor, "_processes", {}) or {})


def peak_mb(pool: RenderPool) -> float:
    """Peak RSS of this process plus the pool's workers since the last reset, in MB."""
    pids = [os.getpid(), *_workers(pool)]
    return sum(_status_kb(pid, "VmHWM") for pid in pids) / 1024


def reset_peaks(pool: RenderPool) -> None:
    for pid in [os.getpid(), *_workers(pool)]:
        _reset_peak(pid)


def pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


T = TypeVar("T")


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    sizes = [int(arg.replace(",", "").replace("_", "")) for arg in (argv or sys.argv[1:])] \
        or [1000, 5000, 20000]
    print(f"cosign PDF render, {os.cpu_count()} CPUs; chunked pool: 2 workers; baseline: one "
          "worker rendering the whole document")
    chunked = RenderPool(workers=2, timeout=600)
    naive = RenderPool(workers=1, timeout=1800, memory_limit=None)
    try:
        start = time.perf_counter()
        chunked.start()
        naive.start()
        print(f"pools started and warmed in {time.perf_counter() - start:.1f} s")
        warm = signatories(1000, seed=99)
        chunked.render_statement(DOCUMENT, warm, OPTIONS)  # not counted
        naive.render_naive(DOCUMENT, warm[:50], OPTIONS)
        rows = []
        for count in sizes:
            people = signatories(count)
            runs = []
            reset_peaks(chunked)
            for _ in range(3 if count <= 5000 else 1):
                seconds, data = timed(functools.partial(chunked.render_statement, DOCUMENT, people,
                                                        OPTIONS))
                runs.append(seconds)
            breakdown = dict(chunked.timings)
            memory = peak_mb(chunked)
            ours = statistics.median(runs)
            reset_peaks(naive)
            base, baseline = timed(functools.partial(naive.render_naive, DOCUMENT, people, OPTIONS))
            base_memory = peak_mb(naive)
            rows.append((count, pages(data), pages(baseline), ours, base, memory, base_memory))
            detail = ", ".join(f"{key} {value:.2f} s" if isinstance(value, float)
                               else f"{key} {value}" for key, value in breakdown.items())
            print(f"{count:>7,} signatories: cosign {ours:6.2f} s "
                  f"(runs: {', '.join(f'{r:.2f}' for r in runs)}; {detail}), "
                  f"baseline {base:6.2f} s", flush=True)
    finally:
        chunked.shutdown()
        naive.shutdown()

    print()
    print(f"{'signatories':>11} {'pages':>11} {'cosign s':>9} {'naive s':>8} {'ratio':>6} "
          f"{'peak MB':>8} {'naive MB':>9}")
    for count, ours_pages, base_pages, ours, base, memory, base_memory in rows:
        match = "" if ours_pages == base_pages else f" (naive {base_pages})"
        print(f"{count:>11,} {ours_pages:>5}{match:>6} {ours:>9.2f} {base:>8.2f} "
              f"{ours / base:>6.2f} {memory:>8.0f} {base_memory:>9.0f}")
    by_size = {row[0]: row for row in rows}
    checks = []
    if 1000 in by_size:
        checks.append(("1,000 signatories ≤ 1.0 s warm", by_size[1000][3] <= 1.0,
                       f"{by_size[1000][3]:.2f} s"))
    if 20000 in by_size:
        row = by_size[20000]
        checks.append(("20,000 ≤ 0.3 × naive", row[3] <= 0.3 * row[4], f"{row[3] / row[4]:.2f} ×"))
    if 1000 in by_size and 20000 in by_size:
        ratio = by_size[20000][3] / by_size[1000][3]
        checks.append(("time(20,000) / time(1,000) ≤ 22", ratio <= 22, f"{ratio:.1f}"))
    peak = max(row[5] for row in rows)
    checks.append(("peak memory (parent + workers) ≤ 500 MB", peak <= 500, f"{peak:.0f} MB"))
    checks.append(("same page count as the baseline", all(r[1] == r[2] for r in rows), ""))
    print()
    for label, ok, value in checks:
        print(f"{'met    ' if ok else 'NOT met'}  {label}: {value}")
    return 0 if all(ok for _, ok, _ in checks) else 1


def app_path(sizes: list[int]) -> int:
    """The worker's whole path for one statement (see the module docstring)."""
    import tempfile

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from cosign import certification, drafting, pdfs, signing
    from cosign.app import create_app
    from cosign.collation import key_of
    from cosign.core import pdf as core_pdf
    from cosign.extensions import db
    from cosign.models import Signature, Statement, User

    print(f"cosign PDF, the whole app path (worker), {os.cpu_count()} CPUs")
    directory = Path(tempfile.mkdtemp(prefix="cosign-pdfbench-"))
    certification.generate_key(directory, common_name="cosign benchmark")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'db.sqlite3'}",
                      "SECRET_KEY": "benchmark", "COSIGN_STORAGE_DIR": str(directory / "storage"),
                      "COSIGN_SIGNING_KEY": str(directory / "signing-key.pem"),
                      "COSIGN_SIGNING_CERT": str(directory / "signing-cert.pem"),
                      "COSIGN_PDF_DEBOUNCE": 0.0, "COSIGN_PDF_MIN_INTERVAL": 0.0,
                      "COSIGN_SITE_URL": "http://127.0.0.1"})
    core_pdf.configure(workers=2, timeout=900)
    failures = 0
    with app.app_context():
        upgrade()
        session = db.session()
        owner = User(email="bench@example.org", name="Bench", password_hash="x")
        session.add(owner)
        session.commit()
        start = time.perf_counter()
        core_pdf.default_pool().start()
        print(f"pool started and warmed in {time.perf_counter() - start:.1f} s")
        for count in [200] + sizes:  # the first one warms fonts, pyHanko and the database
            statement = drafting.create_statement(session, owner.id, drafting.Text(
                DOCUMENT.title, DOCUMENT.body, DOCUMENT.place, DOCUMENT.date))
            signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
            statement_id, revision = statement.id, statement.signed_revision
            rows = []
            for number, person in enumerate(signatories(count)):
                row = Signature(statement_id=statement_id, name_key=f"k{number}",
                                name=person.name or f"withheld {number}",
                                public_name=person.name or f"withheld {number}",
                                country=person.country, org_type=person.org_type,
                                city=person.city, display=person.display, status="approved",
                                revision=revision, provenance="imported")
                row.sort_key = key_of(row, "en")
                rows.append({c: getattr(row, c) for c in (
                    "statement_id", "name_key", "name", "public_name", "country", "org_type",
                    "city", "display", "status", "revision", "provenance", "sort_key")})
            session.execute(insert(Signature), rows)
            session.get_one(Statement, statement_id).pdf_wanted_at = dt.datetime(2000, 1, 1)
            session.commit()
            session.rollback()
            read, snapshot = timed(functools.partial(pdfs.read_snapshot, session, statement_id,
                                                      app.config))
            seconds, issued = timed(functools.partial(pdfs.render_wanted, session, statement_id,
                                                      app.config))
            breakdown = dict(core_pdf.default_pool().timings)
            if count == 200 and sizes:
                continue
            ok = issued is not None and issued.signatory_count == count and issued.certified
            failures += not ok
            detail = ", ".join(f"{k} {v:.2f} s" for k, v in breakdown.items()
                               if isinstance(v, float))
            print(f"{count:>7,} signatories: whole path {seconds:6.2f} s (snapshot read "
                  f"{read:.2f} s; pool: {detail}); certified={issued.certified if issued else None}"
                  f"{'' if ok else '  <-- WRONG'}", flush=True)
    core_pdf.shutdown()
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--app"]:
        sys.exit(app_path([int(a.replace(",", "").replace("_", "")) for a in sys.argv[2:]]
                          or [1000, 10000]))
    sys.exit(main())
