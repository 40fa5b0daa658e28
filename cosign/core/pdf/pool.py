"""The render pool: worker processes that lay out and write the PDFs.

Renders run in a small pool of worker processes (spawn start method) with an
address-space limit and a time limit; a render that times out, runs out of memory
or crashes its worker raises :class:`RenderError` and the pool is replaced, so the
next render works. Every function submitted to the workers is defined at module
level here (spawned processes import it by name).

Short lists are rendered as one document. Long ones are measured in the workers,
planned page by page (:mod:`cosign.core.pdf.pagination`), rendered in chunks of
about 16 pages in parallel, and joined with pypdf (see NOTES.md for the
measurements).
"""
from __future__ import annotations

import atexit
import ctypes
import dataclasses
import gc
import io
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from cosign.core.ordering import group_signatories
from cosign.core.pdf.document import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    PdfDocument,
    RenderError,
    RenderOptions,
)
from cosign.core.pdf.fetcher import ARCHIVAL, SafeFetcher, closing_alone, run_weasyprint
from cosign.core.pdf.labels import _locale
from cosign.core.pdf.markup import (
    LayoutKey,
    _base_job,
    _entry,
    _heading,
    _html,
    _Job,
    _prepare,
    public_signatory_json,
)
from cosign.core.pdf.pagination import (
    Block,
    Geometry,
    Item,
    Plan,
    ProbeLayout,
    chunk_blocks,
    first_item_fits,
    measure,
    plan,
    read_layout,
    split_chunks,
)
from cosign.core.signatory import Signatory

if TYPE_CHECKING:  # pikepdf is loaded only to join chunks (see _join)
    import pikepdf

_T = TypeVar("_T")

LOG = logging.getLogger("cosign.core.pdf")  # the package's logger
_DEFAULT_OPTIONS = RenderOptions()  # frozen: one instance serves as every default
CHUNK_THRESHOLD = 200      # signatories: fewer are rendered as one document
PAGES_PER_CHUNK = 16
PROBE_COST = 700           # items measured in the time the front matter is laid out


# --- work done in the worker processes ----------------------------------------------

_WORKER: dict[LayoutKey, ProbeLayout] = {}  # the sample layouts, in each worker process
_SAMPLES: list[Item] = [  # one item of each kind and direction, for the measuring styles
    ("Sample group", "ltr", "Sample name", "ltr", "Sample country", "ltr", False),
    ("عينة", "rtl", "اسم العينة", "rtl", "بلد", "rtl", False),
    ("", "", "Sample withheld", "ltr", "", "", True),
    ("", "", "عينة محجوبة", "rtl", "", "", True),
]
_WARM_HTML = """<html lang="en"><head><link rel="stylesheet" href="cosign-static:css/print.css">
</head><body><p>Warm <b>up</b> <i>fonts</i> جمعية النور لحقوق الإنسان ڕێکخراو سازمان</p>
<ul class="names cols-2"><li class="e">A<div class="c">B</div></li></ul></body></html>"""


def _rss_mb(pid: int | None) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this render process when its parent dies, even by
    ``kill -9`` (a worker killed mid-render leaves no orphan render processes)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _worker_init(memory_limit: int | None, parent: int | None = None) -> None:
    """Pool initializer: dies with its parent, limits, WeasyPrint loaded once, fonts
    warmed, gc frozen."""
    if parent is not None:
        _die_with_parent(parent)
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    # deferred: WeasyPrint takes ~1 s to import; loaded here, once per worker, not in the parent
    import weasyprint  # noqa: F401

    run_weasyprint(_WARM_HTML, SafeFetcher())
    gc.collect()
    gc.freeze()
    gc.disable()


def _begin_task() -> None:
    """Collect the previous task's garbage (the frozen start-up heap is skipped) and
    keep the collector off during this one: full collections over a growing box tree
    cost more than the render itself (NOTES.md)."""
    gc.collect()
    gc.disable()


class _Heights(TypedDict):
    """What :func:`_task_measure` gives: the heights of list items and group headings."""

    heights: list[float]
    headings: list[float]


class _Front(_Heights):
    """What :func:`_task_front` gives: the heights, and the front matter's layout."""

    front_pages: int     # pages before the one where the list starts
    first_top: float     # y where the list starts on its first page
    top: float
    bottom: float
    width: float
    gap: float
    margin: float
    press_gap: float
    press_height: float


def _sample_layout(job: _Job) -> ProbeLayout:
    """Column geometry and measuring styles for ``job``'s layout (cached per worker)."""
    key = job.layout_key()
    cached = _WORKER.get(key)
    if cached is None:
        html = _html(job, front=False, end=False, blocks=[], probe=_SAMPLES)
        document = run_weasyprint(html, SafeFetcher(job.logo), layout_only=True)
        # the layout holds the document: it keeps the styles' font configuration alive
        cached = _WORKER[key] = read_layout(document, job.page["columns"])
    return cached


def _measured(info: ProbeLayout, entries: Sequence[Item],
              headings: Sequence[tuple[str, str]]) -> _Heights:
    measurer = info["measurer"]
    return {"heights": measure(measurer, entries),
            "headings": [measurer.cached_block("g", direction, text)
                         for text, direction in headings]}


def _task_measure(job: _Job, entries: Sequence[Item],
                  headings: Sequence[tuple[str, str]]) -> _Heights:
    """Heights of list items and of group headings ``(text, direction)``."""
    _begin_task()
    return _measured(_sample_layout(job), entries, headings)


def _task_front(job: _Job, entries: Sequence[Item],
                headings: Sequence[tuple[str, str]]) -> _Front:
    """Lay out the front matter with ``job.items[:1]`` as the list to find where the
    list starts and what follows it; then measure like :func:`_task_measure`."""
    _begin_task()
    html = _html(job, front=True, end=True, probe=_SAMPLES,
                 blocks=[{"columns": None, "entries": job.items[:1], "next": False}])
    document = run_weasyprint(html, SafeFetcher(job.logo), layout_only=True)
    info = read_layout(document, job.page["columns"])
    _WORKER.setdefault(job.layout_key(), info)
    front_pages, first_top = info["list_start"]
    press_gap, press_height = info.get("press", (0.0, 0.0))
    return {**_measured(info, entries, headings), "front_pages": front_pages,
            "first_top": first_top, "top": info["top"], "bottom": info["bottom"],
            "width": info["width"], "gap": info["gap"], "margin": info["margin"],
            "press_gap": press_gap, "press_height": press_height}


def _task_render(job: _Job, front: bool, end: bool, blocks: list[Block], counter_start: int,
                 total: int | None, column_width: float | None, column_gap: float | None,
                 attach: bool, chunk_threshold: int = CHUNK_THRESHOLD
                 ) -> tuple[bytes, int, float]:
    """One chunk, or the whole document: ``(pdf, pages, CPU seconds)``; a list shorter
    than ``chunk_threshold`` is a short document (see below)."""
    started = time.process_time()
    _begin_task()
    whole = front and end and counter_start == 0 and blocks and blocks[0]["columns"] is None \
        and len(blocks[0]["entries"]) < chunk_threshold
    # a short document whose closing section would stand alone on the last page is laid
    # out again: the section tighter, else taking the end of the list with it
    for closing in (("", "compact", "keep") if whole else ("",)):
        if closing == "keep":
            blocks, closing = _ending(job, blocks)
        html = _html(job, front=front, end=end, blocks=blocks, counter_start=counter_start,
                     total=total, column_width=column_width, column_gap=column_gap,
                     closing=closing)
        accept = ((lambda document: not closing_alone(document))
                  if whole and closing in ("", "compact") else None)
        pdf, pages = run_weasyprint(html, SafeFetcher(job.logo),
                                    job.attachment if attach else None, job.created,
                                    variant=ARCHIVAL, accept=accept)
        if pdf is not None:
            return pdf, pages, time.process_time() - started
    raise AssertionError("unreachable: the last layout tried is always accepted")


def _ending(job: _Job, blocks: list[Block]) -> tuple[list[Block], str]:
    """The list's last row split off to go with the closing section onto the last page
    (``(blocks, "")``); after sections of earlier versions, the closing section keeps with
    what precedes it instead (``(blocks, "keep")``)."""
    entries = blocks[0]["entries"]
    row = min(job.page["columns"], len(entries))
    if job.doc.get("earlier") or not row:
        return blocks, "keep"
    head: Block = {**blocks[0], "entries": entries[:-row]}
    tail: Block = {**blocks[0], "entries": entries[-row:], "ending": True, "fill": False}
    return ([head] if head["entries"] else []) + [tail], ""


def _task_html(html: str, logo: bytes | None) -> tuple[bytes, list[str]]:
    _begin_task()
    fetcher = SafeFetcher(logo)
    pdf, _ = run_weasyprint(html, fetcher)
    return pdf, fetcher.requested


def _task_ping() -> int:
    return os.getpid()


# --- the pool -----------------------------------------------------------------------

class RenderPool:
    """Worker processes for rendering, started on first use and reused.

    ``workers`` processes (spawn), each limited to ``memory_limit`` bytes of
    address space; each render limited to ``timeout`` seconds. Thread-safe.
    A failure that may leave a worker in a bad state (time limit, memory,
    crash) replaces the whole pool: renders running at that moment fail too.
    Lists of ``chunk_threshold`` signatories or more are rendered in chunks of about
    ``pages_per_chunk`` pages (tests lower both to reach chunks with short lists).
    """

    def __init__(self, workers: int = DEFAULT_WORKERS, timeout: float = DEFAULT_TIMEOUT,
                 memory_limit: int | None = DEFAULT_MEMORY_LIMIT, *,
                 chunk_threshold: int = CHUNK_THRESHOLD, pages_per_chunk: int = PAGES_PER_CHUNK):
        self.workers = max(1, int(workers))
        self.timeout = float(timeout)
        self.memory_limit = memory_limit
        self.chunk_threshold = chunk_threshold
        self.pages_per_chunk = pages_per_chunk
        self._executor: ProcessPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.timings: dict[str, float] = {}  # of the last render_statement, for benchmarks

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_init, initargs=(self.memory_limit, os.getpid()))
                self._pid = os.getpid()
            return self._executor

    def start(self) -> None:
        """Start and warm every worker now (else the first render does, ≈ 1–2 s)."""
        executor = self.executor()
        futures = [executor.submit(_task_ping) for _ in range(self.workers * 2)]
        self._wait(futures, time.monotonic() + max(self.timeout, 60.0))

    def trim(self, max_rss_mb: float) -> bool:
        """Stop the pool if one of its processes has grown beyond ``max_rss_mb`` (a long
        list leaves tens of MB per thousand names behind in each); the next render
        starts it again. True if it was stopped."""
        with self._lock:
            executor = self._executor
        processes = list((getattr(executor, "_processes", None) or {}).values())
        if not processes or max(_rss_mb(p.pid) for p in processes) <= max_rss_mb:
            return False
        self.shutdown()
        return True

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _replace(self, executor: ProcessPoolExecutor | None) -> None:
        with self._lock:
            if executor is None or self._executor is not executor:
                return
            self._executor = None
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)

    def _wait(self, futures: Sequence[Future[_T]], deadline: float,
              executor: ProcessPoolExecutor | None = None) -> list[_T]:
        executor = executor or self._executor
        results = []
        try:
            for future in futures:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except FutureTimeout:
            self._replace(executor)
            raise RenderError("the PDF render took longer than its time limit and was "
                              "stopped") from None
        except BrokenProcessPool:
            self._replace(executor)
            raise RenderError("the PDF renderer process stopped unexpectedly (out of memory "
                              "or crashed); it has been restarted") from None
        except MemoryError:
            self._replace(executor)
            raise RenderError("the PDF render ran out of memory (limit "
                              f"{(self.memory_limit or 0) // 2**20} MB)") from None
        except RecursionError:
            raise RenderError("the document is nested too deeply to be rendered") from None
        except Exception as exc:
            raise RenderError(f"the PDF render failed: {type(exc).__name__}: {exc}") from exc
        finally:
            for future in futures:
                future.cancel()
        return results

    def run(self, function: Callable[..., _T], *args: Any, deadline: float) -> _T:
        """``function(*args)`` in a worker (defined at module level, its arguments
        picklable), within ``deadline`` (a :func:`time.monotonic` time)."""
        executor = self.executor()
        return self._wait([executor.submit(function, *args)], deadline, executor)[0]

    def render_html(self, html: str, *, logo: bytes | None = None,
                    timeout: float | None = None) -> tuple[bytes, list[str]]:
        """Raw HTML through the safe fetcher in a worker: ``(pdf, URLs asked for)``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        return self.run(_task_html, html, logo, deadline=deadline)

    def render_naive(self, document: PdfDocument, signatories: Sequence[Signatory],
                     options: RenderOptions = _DEFAULT_OPTIONS, *,
                     timeout: float | None = None) -> bytes:
        """The whole document in one WeasyPrint render (the benchmark's baseline)."""
        job = _prepare(document, signatories, options)
        return self._naive(job, time.monotonic() + (timeout or self.timeout))

    def _naive(self, job: _Job, deadline: float) -> bytes:
        blocks: list[Block] = [{"columns": None, "entries": job.items, "next": False}]
        pdf, _, _ = self.run(_task_render, dataclasses.replace(job, items=[]), True, True,
                             blocks, 0, None, None, None, True, self.chunk_threshold,
                             deadline=deadline)
        return pdf

    def render_statement(self, document: PdfDocument, signatories: Sequence[Signatory],
                         options: RenderOptions = _DEFAULT_OPTIONS, *,
                         timeout: float | None = None) -> bytes:
        """The statement's PDF: one render for short lists, planned chunks for long ones."""
        started = time.monotonic()
        deadline = started + (timeout or self.timeout)
        self.timings = {}
        if len(signatories) < self.chunk_threshold:
            job = _prepare(document, signatories, options)
            self.timings["prepare"] = time.monotonic() - started
            return self._naive(job, deadline)
        return self._chunked(document, signatories, options, deadline)

    def _chunked(self, document: PdfDocument, signatories: Sequence[Signatory],
                 options: RenderOptions, deadline: float) -> bytes:
        """Measure, plan, render chunks of pages in parallel, join; one render of the
        whole document if the list fits on one page or a chunk's page count is not
        the planned one."""
        started = time.monotonic()
        executor = self.executor()
        measured = self._measure(executor, document, signatories, options, deadline, started)
        layout = _plan(measured)
        whole = dataclasses.replace(measured.job, items=measured.items)
        if len(layout.pages) < 2:
            return self._naive(whole, deadline)
        pdfs = self._render_chunks(executor, measured, layout, deadline)
        if pdfs is None:
            return self._naive(whole, deadline)
        return self._join_chunks(pdfs)

    def _measure(self, executor: ProcessPoolExecutor, document: PdfDocument,
                 signatories: Sequence[Signatory], options: RenderOptions, deadline: float,
                 started: float) -> _Measured:
        """1. Measure every distinct entry and group heading in the workers (order does
        not matter) while this process sorts the list. The front matter is probed with
        a one-line placeholder item; checked here against the real first one."""
        job = _base_job(document, len(signatories), options)
        language, default = job.language, job.doc["dir"]
        unique = list(dict.fromkeys(signatories))
        entries: list[Item] = [("", "", *_entry(s, options.grouping, language, default))
                               for s in unique]
        headings = _group_headings(unique, options.grouping, language, default)
        futures = self._submit_measuring(executor, job, entries, headings)
        items, refs, ordered = _print_order(signatories, unique, entries, headings, options,
                                            language)
        job = dataclasses.replace(job, attachment=public_signatory_json(ordered,
                                                                         _locale(language)))
        self.timings["prepare"] = time.monotonic() - started
        mark = time.monotonic()
        # the first result is _task_front's, the others _task_measure's
        results = self._wait(futures, deadline, executor)
        front: _Front = results[0]
        heights = _item_heights(results, headings, refs)
        geometry = _geometry(front, options.columns)
        if not first_item_fits(geometry, heights[0], front["margin"]):
            # the heading moves to the next page with the first item: probe with it
            again = self._wait([executor.submit(
                _task_front, dataclasses.replace(job, items=items[:1]), [], [])], deadline,
                executor)[0]
            geometry = _geometry(again, options.columns)
        self.timings["measure"] = time.monotonic() - mark
        return _Measured(job=job, items=items, heights=heights, front=front, geometry=geometry)

    def _submit_measuring(self, executor: ProcessPoolExecutor, job: _Job, entries: list[Item],
                          headings: dict[str, tuple[str, str]]) -> list[Future[Any]]:
        """The entries shared out among the workers: the first one also lays out the
        front matter (with a placeholder item) and measures the group headings, so it
        gets about :data:`PROBE_COST` entries fewer."""
        shares = self.workers
        first = max(0, (len(entries) - PROBE_COST * (shares - 1)) // shares)
        bounds = [0] + [first + round((len(entries) - first) * k / max(1, shares - 1))
                        for k in range(shares)]
        placeholder: Item = ("", "", "A", job.doc["dir"], "", "", False)
        futures: list[Future[Any]] = [executor.submit(
            _task_front, dataclasses.replace(job, items=[placeholder]), entries[:bounds[1]],
            list(headings.values()))]
        futures += [executor.submit(_task_measure, job, entries[bounds[k]:bounds[k + 1]], [])
                    for k in range(1, shares)]
        return futures

    def _render_chunks(self, executor: ProcessPoolExecutor, measured: _Measured, layout: Plan,
                       deadline: float) -> list[bytes] | None:
        """3. Render chunks of the planned pages in parallel: their PDFs in order, or
        None if a chunk's page count is not the planned one."""
        chunks = split_chunks(layout, self.workers, self.pages_per_chunk)
        expected = _chunk_pages(layout, chunks)
        job, front, total = measured.job, measured.front, layout.total_pages
        futures = []
        first_page = 1
        for number, ((start, end), pages) in enumerate(zip(chunks, expected, strict=True)):
            front_here, last = number == 0, number == len(chunks) - 1
            futures.append(executor.submit(
                _task_render, job, front_here, last,
                chunk_blocks(layout, measured.items, start, end), first_page if number else 0,
                total, front["width"], front["gap"], front_here, self.chunk_threshold))
            first_page += pages
        mark = time.monotonic()
        rendered = self._wait(futures, deadline, executor)
        self.timings["render"] = time.monotonic() - mark
        self.timings["chunks"] = len(chunks)
        self.timings["render_cpu"] = sum(cpu for _, _, cpu in rendered)
        counts = [count for _, count, _ in rendered]
        if counts != expected:
            LOG.warning("PDF chunk page counts %s differ from the plan %s: rendering the "
                        "statement as one document", counts, expected)
            return None
        return [pdf for pdf, _, _ in rendered]

    def _join_chunks(self, pdfs: list[bytes]) -> bytes:
        """4. The chunks joined into one PDF."""
        mark = time.monotonic()
        joined = _join(pdfs)
        self.timings["join"] = time.monotonic() - mark
        return joined


# --- the steps of a chunked render ----------------------------------------------------

@dataclass(frozen=True)
class _Measured:
    """A measured list: the job (its attachment, no items), the list items in print
    order and their heights, the front matter's layout (``_task_front``'s result)
    and the page geometry."""

    job: _Job
    items: list[Item]
    heights: list[float]
    front: _Front
    geometry: Geometry


def _group_headings(unique: list[Signatory], grouping: str, language: str,
                    default: str) -> dict[str, tuple[str, str]]:
    """``(text, direction)`` of each group's heading, by key, sorted (none if ungrouped)."""
    keys = sorted({s.country if grouping == "country" else s.org_type
                   for s in unique}) if grouping != "none" else []
    return {key: _heading(key, grouping, language, default) for key in keys}


def _print_order(signatories: Sequence[Signatory], unique: list[Signatory], entries: list[Item],
                 headings: dict[str, tuple[str, str]], options: RenderOptions,
                 language: str) -> tuple[list[Item], list[tuple[int, str | None]], list[Signatory]]:
    """The list items in print order (a group's first item carries its heading); for
    each, ``(number of its entry in unique, its group's key if it carries the heading)``;
    and the signatories in that order."""
    index = {signatory: number for number, signatory in enumerate(unique)}
    items: list[Item] = []
    refs: list[tuple[int, str | None]] = []
    ordered: list[Signatory] = []
    for key, members in group_signatories(signatories, options.grouping, options.order,
                                          _locale(language)):
        for position, signatory in enumerate(members):
            heading = headings[key] if key and position == 0 else ("", "")
            items.append((*heading, *entries[index[signatory]][2:]))
            refs.append((index[signatory], key if heading[0] else None))
            ordered.append(signatory)
    return items, refs, ordered


def _item_heights(results: Sequence[_Heights], headings: dict[str, tuple[str, str]],
                  refs: list[tuple[int, str | None]]) -> list[float]:
    """Each list item's height: its entry's, and its group heading's if it carries one."""
    measured = [height for result in results for height in result["heights"]]
    heading_heights = dict(zip(headings, results[0]["headings"], strict=True))
    return [measured[number] + (heading_heights[key] if key else 0.0) for number, key in refs]


def _plan(measured: _Measured) -> Plan:
    """2. The pages of the list (every break decided before rendering)."""
    return plan(measured.heights, [measured.front["margin"]] * len(measured.items),
                measured.geometry)


def _chunk_pages(layout: Plan, chunks: list[tuple[int, int]]) -> list[int]:
    """The pages each chunk should have: its list pages, the front matter's on the first
    chunk, and on the last a page of its own for the press contact if it needs one."""
    last = len(chunks) - 1
    return [(end - start) + (layout.front_pages if number == 0 else 0)
            + (1 if number == last and layout.press_on_new_page else 0)
            for number, (start, end) in enumerate(chunks)]


def _geometry(front: _Front, columns: int) -> Geometry:
    return Geometry(columns=columns, first_top=front["first_top"],
                    front_pages=front["front_pages"], top=front["top"], bottom=front["bottom"],
                    press_gap=front["press_gap"], press_height=front["press_height"])


def _join(pdfs: list[bytes]) -> bytes:
    """Chunks joined into one PDF (qpdf, through pikepdf): the first keeps its metadata,
    outline and attachment; the others' pages follow with their tags
    (:func:`_graft_structure`), so the whole document has one structure tree in reading
    order. pypdf did the same 6 times slower on tagged chunks (their thousands of
    structure elements), hence qpdf."""
    import pikepdf  # deferred: ~50 ms to import; only joining chunks needs it

    out = pikepdf.open(io.BytesIO(pdfs[0]))
    tree = out.Root.get("/StructTreeRoot")
    next_key = _next_key(tree) if tree is not None else 0
    for data in pdfs[1:]:
        chunk = pikepdf.open(io.BytesIO(data))
        first = len(out.pages)
        out.pages.extend(chunk.pages)  # qpdf remembers the copies: /Pg below maps to them
        if tree is not None and chunk.Root.get("/StructTreeRoot") is not None:
            next_key = _graft_structure(out, tree, chunk, first, next_key)
    if tree is not None:
        tree.ParentTreeNextKey = next_key
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _document_element(tree: pikepdf.Object) -> pikepdf.Object:
    """The structure tree's top element (WeasyPrint writes one ``/Document``)."""
    import pikepdf  # deferred: ~50 ms to import; only joining chunks needs it

    return tree.K[0] if isinstance(tree.K, pikepdf.Array) else tree.K


def _next_key(tree: pikepdf.Object) -> int:
    nums = tree.ParentTree.Nums
    if "/ParentTreeNextKey" in tree:
        return int(tree.ParentTreeNextKey)
    return max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1


def _graft_structure(out: pikepdf.Pdf, tree: pikepdf.Object, chunk: pikepdf.Pdf, first: int,
                     offset: int) -> int:
    """Append ``chunk``'s structure tree (its pages already appended from ``first`` on) to
    ``out``'s: its top elements go under the document's top element, its ParentTree
    entries follow the document's with their keys shifted by ``offset``, as are its pages'
    ``/StructParents`` and annotations' ``/StructParent``. Returns the next free key."""
    import pikepdf  # deferred: ~50 ms to import; only joining chunks needs it

    def copied(item: pikepdf.Object) -> pikepdf.Object:
        return out.copy_foreign(item) if item.is_indirect else item

    source = chunk.Root.StructTreeRoot
    document = _document_element(tree)
    kids = _document_element(source).K
    kids = kids if isinstance(kids, pikepdf.Array) else pikepdf.Array([kids])
    for kid in kids:  # their parent becomes the document's top element, not the chunk's
        if isinstance(kid, pikepdf.Dictionary) and "/P" in kid:
            del kid["/P"]
    if not isinstance(document.K, pikepdf.Array):
        document.K = pikepdf.Array([document.K])
    for kid in kids:
        kid = copied(kid)
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in (
                pikepdf.Name.MCR, pikepdf.Name.OBJR):
            kid.P = document
        document.K.append(kid)
    nums, source_nums = tree.ParentTree.Nums, source.ParentTree.Nums
    last = offset - 1
    for i in range(0, len(source_nums), 2):
        key, value = int(source_nums[i]) + offset, source_nums[i + 1]
        nums.append(key)
        nums.append(copied(value) if value.is_indirect
                    else pikepdf.Array([copied(item) for item in value]))
        last = max(last, key)
    for page_object in out.pages[first:]:
        page = page_object.obj
        if "/StructParents" in page:
            page.StructParents = int(page.StructParents) + offset
        for annotation in page.get("/Annots", []):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset
    return last + 1


# --- module-level API -----------------------------------------------------------------

_POOL: RenderPool | None = None
_POOL_LOCK = threading.Lock()


def configure(workers: int = DEFAULT_WORKERS, timeout: float = DEFAULT_TIMEOUT,
              memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> RenderPool:
    """Replace the default pool's settings (shuts the current pool down)."""
    global _POOL
    with _POOL_LOCK:
        old, _POOL = _POOL, RenderPool(workers, timeout, memory_limit)
        pool = _POOL
    if old is not None:
        old.shutdown()
    return pool


def default_pool() -> RenderPool:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = RenderPool()
        return _POOL


def shutdown() -> None:
    """Stop the default pool's worker processes (a later render starts them again)."""
    with _POOL_LOCK:
        pool = _POOL
    if pool is not None:
        pool.shutdown()


def render_statement(document: PdfDocument, signatories: Sequence[Signatory],
                     options: RenderOptions = _DEFAULT_OPTIONS, *,
                     timeout: float | None = None, pool: RenderPool | None = None) -> bytes:
    """The statement's PDF (in the default pool's workers unless ``pool`` is given)."""
    return (pool or default_pool()).render_statement(document, signatories, options,
                                                     timeout=timeout)


def render_naive(document: PdfDocument, signatories: Sequence[Signatory],
                 options: RenderOptions = _DEFAULT_OPTIONS, *, timeout: float | None = None,
                 pool: RenderPool | None = None) -> bytes:
    """One WeasyPrint render of the whole document (no chunking): the baseline."""
    return (pool or default_pool()).render_naive(document, signatories, options,
                                                 timeout=timeout)


atexit.register(shutdown)
