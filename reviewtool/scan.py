"""Scan mail archives for QAPI series and review each one.

Owns ``review scan``: stream mbox archives without holding them in memory,
thread the messages (Message-ID, In-Reply-To, References), keep the threads
whose diffs touch ``qapi/*.json`` (a cheap byte-level pre-filter, no MIME
parsing), and review each kept thread through ``pipeline.review`` in worker
processes. Layer 7 beside pipeline: imports pipeline and the stages below it.

Memory stays flat in the archive size: the reader keeps only a few integers
per message (where its bytes are, which thread it joins) and a subject for
messages that touch QAPI; a worker reads a thread's bytes back from the
archive by offset when it reviews it.

    scan_archives(paths, options, progress) -> ScanSummary
      read_archive(path)      -> RawMessage spans + peeked headers (streaming)
      Threads                 -> union-find over message ids
      review_thread(job)      -> ThreadResult (in a worker process)
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import quopri
import re
import tempfile
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from reviewtool.errors import InputError, ReviewError
from reviewtool.location import Location, MailLocation
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.report.model import Report
from reviewtool.tree import Tree, load_tree

# The line after an mbox "From " separator is a header:
#   "From nobody Tue Feb 10 06:08:29 2026" then "Delivered-To: importer@..."
# A body line "From the start, ..." after a blank line is followed by text
# (tests/data/fuzz/structure-unescaped-from-in-body.mbox).
HEADER_LINE_RE = re.compile(rb"^[!-9;-~]+:")
SEPARATOR_RE = re.compile(rb"\n[ \t\r\f\v]*\n(From [^\n]*\n)[!-9;-~]+:")

# A diff header naming a QAPI schema file, before or after the change:
#   "diff --git a/qapi/migration.json b/qapi/migration.json"
#   "+++ b/qapi/char.json"
QAPI_PATH_RE = re.compile(
    rb"^(?:diff --git a/\S+ b/|\+\+\+ b/|--- a/|rename (?:from|to) )(qapi/[\w./-]*\.json)\b",
    re.MULTILINE,
)

# The header fields we peek at, with their folded continuation lines; the
# full MIME parse happens in the worker.
#   "Message-ID: <20260201162001.296328-4-vsementsov@yandex-team.ru>"
#   "References: <a@x>\n\t<b@x>"
PEEK_HEADER_RE = re.compile(
    rb"^(message-id|in-reply-to|references|subject):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)",
    re.IGNORECASE | re.MULTILINE,
)
MSGID_RE = re.compile(rb"<([^<>\s]+)>")

# Bodies in these transfer encodings hide their diff headers from the
# byte-level filter; they are decoded before matching
# (../shared/corpus/d-base64-hexagon-sigsegv-with-replies.mbox).
B64_CTE_RE = re.compile(rb"^content-transfer-encoding:\s*base64", re.IGNORECASE | re.MULTILINE)
QP_CTE_RE = re.compile(
    rb"^content-transfer-encoding:\s*quoted-printable", re.IGNORECASE | re.MULTILINE
)
B64_LINE_RE = re.compile(rb"^[A-Za-z0-9+/=]{16,}\r?$", re.MULTILINE)

# A header block larger than this is not worth peeking at in full; the
# worker sees the whole message anyway (structure-very-long-header.mbox).
MAX_HEADER_BYTES = 256 * 1024
READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message of an archive, as bytes at ``offset`` (``length`` long).

    ``index`` is the 1-based message number in its archive. The header values
    are as peeked from the raw bytes: ``subject`` is unfolded but not decoded.
    """

    archive: str
    index: int
    offset: int
    length: int
    message_id: str | None
    parents: tuple[str, ...]  # In-Reply-To and References ids, in order
    subject: str
    qapi_paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a message's bytes are: the archive, byte offset and length."""

    archive: str
    index: int
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class ThreadJob:
    """A thread to review: its messages' spans (in archive order) and why it was kept."""

    key: int  # order of the thread's first message in the scan, for stable output
    subject: str  # raw subject of the first QAPI-touching message
    spans: tuple[Span, ...]
    qapi_paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ThreadResult:
    """The outcome of reviewing one thread (picklable, small).

    ``error`` is the one-line message when the review could not run (a
    ``ReviewError``, e.g. no patch in the thread) or crashed (a bug: the
    scan goes on and reports it as such).
    """

    key: int
    subject: str
    first: str  # "archive: message N" of the thread's first message
    messages: int
    qapi_paths: tuple[str, ...]
    patches: int = 0
    version: int | None = None
    verdict: str = "error"
    counts: tuple[tuple[str, int], ...] = ()  # ("error", 2), worst first
    codes: tuple[tuple[str, int], ...] = ()  # ("Q101", 1), by code
    findings: tuple[tuple[str, str, str, str], ...] = ()  # code, severity, where, message
    error: str | None = None
    crashed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form (used by ``review scan --format json``)."""
        return {
            "subject": self.subject,
            "first_message": self.first,
            "messages": self.messages,
            "qapi_files": list(self.qapi_paths),
            "patches": self.patches,
            "version": self.version,
            "verdict": self.verdict,
            "counts": dict(self.counts),
            "codes": dict(self.codes),
            "findings": [
                {"code": c, "severity": s, "where": w, "message": m} for c, s, w, m in self.findings
            ],
            "error": self.error,
            "internal_error": self.crashed,
        }


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How to scan: worker processes, the base tree and the review settings."""

    jobs: int = 1
    tree: str | None = None
    rev: str | None = None
    cwd: str = "."
    # extra keyword settings handed to the pipeline's options, by name
    settings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """What the progress callback is told: a phase and how far it is."""

    phase: str  # "read" (bytes of the archives) or "review" (threads)
    done: int
    total: int


@dataclass(slots=True)
class ScanSummary:
    """The whole scan: counts and one result per QAPI thread, in archive order."""

    archives: tuple[str, ...]
    bytes_read: int = 0
    messages: int = 0
    threads: int = 0
    results: list[ThreadResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: versioned, deterministic (no timings, no absolute paths added)."""
        return {
            "schema_version": 1,
            "archives": list(self.archives),
            "bytes": self.bytes_read,
            "messages": self.messages,
            "threads": self.threads,
            "series": [r.to_dict() for r in self.results],
            "qapi_series": len(self.results),
        }


ProgressCallback = Callable[[ScanProgress], None]


# --- reading ---------------------------------------------------------------


def iter_spans(path: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, bytes)`` of each message of the mbox at ``path``, streaming.

    Reads in 1 MiB chunks and holds one message at a time. Splits where the
    mail stage does: a ``From `` line at the start or after a blank line,
    followed by a header line (mboxo archives do not always quote a body
    line starting with "From "). Raises ``InputError`` when the file cannot
    be read or does not start like an mbox.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    except OSError as e:
        raise InputError(f"cannot read archive: {e.strerror}", path=path) from e
    try:
        head = handle.read(5)
        if head and head != b"From ":
            raise InputError("not an mbox archive (no 'From ' line at the start)", path=path)
        handle.seek(0)
        yield from _split_chunks(handle)
    except OSError as e:
        raise InputError(f"cannot read archive: {e.strerror}", path=path) from e
    finally:
        handle.close()


def _split_chunks(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Split a stream at separators, holding one message plus one chunk."""
    buf = b""
    base = 0  # file offset of buf[0]
    pos = 0  # where the next separator search starts in buf
    while True:
        chunk = handle.read(READ_CHUNK)
        buf += chunk
        start = 0  # the current message begins at buf[start]
        while m := SEPARATOR_RE.search(buf, pos):
            cut = m.start(1)
            yield base + start, buf[start:cut]
            start = pos = cut
        if not chunk:
            buf = buf[start:]
            base += start
            break
        # A separator may straddle the chunk end: it starts at most three
        # line ends back (line end, blank line, "From " line, header name).
        back = len(buf)
        for _ in range(3):
            back = buf.rfind(b"\n", start, back)
            if back < 0:
                back = start
                break
        buf = buf[start:]
        base += start
        pos = back - start
    if buf:
        yield base, buf


def peek_message(archive: str, index: int, offset: int, raw: bytes) -> RawMessage:
    """The ids, subject and QAPI paths of one raw message (no MIME parsing)."""
    end = raw.find(b"\n\n")
    if end < 0:
        end = raw.find(b"\r\n\r\n")
    header = raw[: end if end >= 0 else len(raw)][:MAX_HEADER_BYTES]
    fields = _header_fields(header)
    message_id = _first_id(fields.get(b"message-id", b""))
    parents = tuple(
        dict.fromkeys(_ids(fields.get(b"in-reply-to", b"")) + _ids(fields.get(b"references", b"")))
    )
    subject = fields.get(b"subject", b"").decode("utf-8", "replace").strip()
    return RawMessage(
        archive=archive,
        index=index,
        offset=offset,
        length=len(raw),
        message_id=message_id,
        parents=tuple(p for p in parents if p != message_id),
        subject=subject,
        qapi_paths=find_qapi_paths(raw),
    )


def find_qapi_paths(raw: bytes) -> tuple[str, ...]:
    """The ``qapi/*.json`` paths that diff headers in ``raw`` name, sorted.

    Plain bytes first; base64 and quoted-printable bodies are decoded only
    when the message says it uses them and the plain search found nothing.
    """
    if b"qapi/" in raw:
        text = raw.replace(b"\r\n", b"\n") if b"\r" in raw else raw
        found = {m.group(1) for m in QAPI_PATH_RE.finditer(text)}
    else:
        found = set()
    if not found and b"ase64" in raw and B64_CTE_RE.search(raw):
        found |= {m.group(1) for m in QAPI_PATH_RE.finditer(_decode_base64_runs(raw))}
    if not found and b"rintable" in raw and QP_CTE_RE.search(raw):
        decoded = quopri.decodestring(raw).replace(b"\r\n", b"\n")
        found |= {m.group(1) for m in QAPI_PATH_RE.finditer(decoded)}
    return tuple(sorted(p.decode("ascii", "replace") for p in found))


def _decode_base64_runs(raw: bytes) -> bytes:
    """Decode each run of base64-looking lines; undecodable runs are skipped."""
    out: list[bytes] = []
    run: list[bytes] = []
    for line in raw.split(b"\n"):
        if B64_LINE_RE.match(line):
            run.append(line.strip())
            continue
        if run:
            out.append(_b64(b"".join(run)))
            run = []
    if run:
        out.append(_b64(b"".join(run)))
    return b"\n".join(out)


def _b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def _header_fields(header: bytes) -> dict[bytes, bytes]:
    """First occurrence of each peeked header field, unfolded; names lower-cased."""
    fields: dict[bytes, bytes] = {}
    for m in PEEK_HEADER_RE.finditer(header):
        name = m.group(1).lower()
        if name not in fields:
            fields[name] = b" ".join(part.strip() for part in m.group(2).split(b"\n"))
    return fields


def _ids(value: bytes) -> tuple[str, ...]:
    return tuple(m.group(1).decode("utf-8", "replace") for m in MSGID_RE.finditer(value))


def _first_id(value: bytes) -> str | None:
    ids = _ids(value)
    if ids:
        return ids[0]
    bare = value.strip().decode("utf-8", "replace")
    return bare or None


# --- threading --------------------------------------------------------------


class Threads:
    """Union-find over message ids: messages that refer to each other share a thread.

    Kept compact for large archives (about 100 bytes a message): ids are
    stored by their hash, parents and per-message spans live in typed
    arrays, and only QAPI-touching messages keep a subject.
    """

    def __init__(self) -> None:
        # hash(message id) -> node; a 64-bit hash collision between two ids
        # of one archive would merely join two threads
        self._node: dict[int, int] = {}
        self._parent = array("q")
        # per message, one column each: archive number, index, offset, length, node
        self._columns = tuple(array("q") for _ in range(5))
        self._archives: list[str] = []
        self._qapi: dict[int, tuple[str, tuple[str, ...]]] = {}

    def __len__(self) -> int:
        return len(self._columns[0])

    def _id(self, message_id: str) -> int:
        key = hash(message_id)
        node = self._node.get(key)
        if node is None:
            node = len(self._parent)
            self._node[key] = node
            self._parent.append(node)
        return node

    def _find(self, node: int) -> int:
        parent = self._parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self._parent[rb] = ra

    def add(self, message: RawMessage) -> None:
        """Record one message and join it to the messages it refers to."""
        if not self._archives or self._archives[-1] != message.archive:
            self._archives.append(message.archive)
        archive = len(self._archives) - 1
        # A message without a usable id is its own thread (fuzz:
        # headers-message-id-missing.mbox); a duplicate id joins the first.
        key = message.message_id or f"\0{archive}:{message.index}"
        node = self._id(key)
        for parent in message.parents:
            self._union(node, self._id(parent))
        seq = len(self)
        for column, value in zip(
            self._columns,
            (archive, message.index, message.offset, message.length, node),
            strict=True,
        ):
            column.append(value)
        if message.qapi_paths:
            self._qapi[seq] = (message.subject, message.qapi_paths)

    def _span(self, seq: int) -> Span:
        archive, index, offset, length, _ = (column[seq] for column in self._columns)
        return Span(self._archives[archive], index, offset, length)

    def count(self) -> int:
        """Number of threads seen (phantom parents that never arrived not counted)."""
        return len({self._find(node) for node in self._columns[4]})

    def qapi_jobs(self) -> list[ThreadJob]:
        """One job per thread that has a QAPI-touching message, in archive order."""
        wanted: dict[int, list[int]] = {}
        nodes = self._columns[4]
        for seq in self._qapi:
            wanted.setdefault(self._find(nodes[seq]), [])
        if not wanted:
            return []
        for seq, node in enumerate(nodes):
            members = wanted.get(self._find(node))
            if members is not None:
                members.append(seq)
        jobs = []
        for seqs in wanted.values():
            qapi = [self._qapi[s] for s in seqs if s in self._qapi]
            paths = tuple(sorted({p for _, ps in qapi for p in ps}))
            spans = tuple(self._span(s) for s in seqs)
            jobs.append(ThreadJob(key=seqs[0], subject=qapi[0][0], spans=spans, qapi_paths=paths))
        return sorted(jobs, key=lambda j: j.key)


def read_archives(
    paths: Sequence[str], progress: ProgressCallback | None = None
) -> tuple[Threads, int]:
    """Stream every archive into a ``Threads``; returns it and the bytes read."""
    threads = Threads()
    sizes = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise InputError("no such archive file" if not p.exists() else "not a file", path=path)
        sizes.append(p.stat().st_size)
    total = sum(sizes)
    done = 0
    for path in paths:
        last = 0
        for index, (offset, raw) in enumerate(iter_spans(path), start=1):
            threads.add(peek_message(path, index, offset, raw))
            if progress is not None and offset - last >= READ_CHUNK * 8:
                last = offset
                progress(ScanProgress("read", done + offset, total))
        done += Path(path).stat().st_size
        if progress is not None:
            progress(ScanProgress("read", done, total))
    return threads, done


# --- reviewing -----------------------------------------------------------------


def read_span(span: Span) -> bytes:
    """The bytes of one message, read back from its archive."""
    with open(span.archive, "rb") as handle:
        handle.seek(span.offset)
        return handle.read(span.length)


def start_scan(
    paths: Sequence[str], options: ScanOptions, progress: ProgressCallback | None = None
) -> tuple[ScanSummary, list[ThreadJob]]:
    """Read and thread the archives: the counts so far and the QAPI threads to review.

    Raises ``InputError`` for an unreadable archive, or (when there is
    something to review) for a base tree that cannot be loaded.
    """
    threads, size = read_archives(paths, progress)
    summary = ScanSummary(archives=tuple(paths), bytes_read=size, messages=len(threads))
    summary.threads = threads.count()
    jobs = threads.qapi_jobs()
    if jobs:
        _load_base(options)  # a bad --tree / --rev fails here, once, before any worker
    return summary, jobs


def review_threads(
    jobs: Sequence[ThreadJob], options: ScanOptions, progress: ProgressCallback | None = None
) -> Iterator[ThreadResult]:
    """Review each job, yielding results in job order as they are ready.

    With ``options.jobs`` > 1 the reviews run in that many worker
    processes; at most a few jobs per worker are in flight, so neither the
    queue nor the results waiting for an earlier slow thread grow with the
    archive.
    """
    total = len(jobs)
    if progress is not None:
        progress(ScanProgress("review", 0, total))
    if options.jobs <= 1 or total <= 1:
        for n, job in enumerate(jobs, start=1):
            yield review_thread(job, options)
            if progress is not None:
                progress(ScanProgress("review", n, total))
        return
    window = options.jobs * 4
    with ProcessPoolExecutor(
        max_workers=min(options.jobs, total), initializer=_load_base, initargs=(options,)
    ) as pool:
        pending: deque[Future[ThreadResult]] = deque()
        queue = iter(jobs)
        for job in itertools.islice(queue, window):
            pending.append(pool.submit(review_thread, job, options))
        done = 0
        while pending:
            result = pending.popleft().result()
            for job in itertools.islice(queue, 1):
                pending.append(pool.submit(review_thread, job, options))
            done += 1
            yield result
            if progress is not None:
                progress(ScanProgress("review", done, total))


def scan_archives(
    paths: Sequence[str], options: ScanOptions, progress: ProgressCallback | None = None
) -> ScanSummary:
    """``start_scan`` then ``review_threads``, collected (for small archives and tests)."""
    summary, jobs = start_scan(paths, options, progress)
    summary.results = list(review_threads(jobs, options, progress))
    return summary


# The base tree, loaded once per process (the parent, or each worker).
_BASE: dict[tuple[str | None, str | None, str], Tree] = {}


def _load_base(options: ScanOptions) -> Tree:
    key = (options.tree, options.rev, options.cwd)
    if key not in _BASE:
        _BASE[key] = load_tree(options.tree, options.rev, Path(options.cwd))
    return _BASE[key]


def review_thread(job: ThreadJob, options: ScanOptions) -> ThreadResult:
    """Review one thread (in a worker process); never raises.

    A ``ReviewError`` (e.g. a thread with no patch in it after all) becomes
    ``error``; anything else is a bug in a stage, recorded with ``crashed``
    so one bad thread does not stop a scan of thousands.
    """
    first = job.spans[0]
    result = ThreadResult(
        key=job.key,
        subject=job.subject,
        first=f"{first.archive}: message {first.index}",
        messages=len(job.spans),
        qapi_paths=job.qapi_paths,
    )
    try:
        report = _review_spans(job, options)
    except ReviewError as e:
        return replace(result, error=_printable(e.message))
    except Exception as e:  # a bug in a stage: record it, keep scanning
        error = _printable(f"internal error: {type(e).__name__}: {e}")
        return replace(result, error=error, crashed=True)
    return _summarise(report, job, result)


def _review_spans(job: ThreadJob, options: ScanOptions) -> Report:
    """Run the pipeline on the thread's messages, read back from the archive.

    The messages go to the mail stage as an anonymous in-memory file
    (memfd), so the scan writes nothing to disk; where there is no memfd a
    private temporary file is used and removed.
    """
    data = b"".join(_terminated(read_span(span)) for span in job.spans)
    review_options = ReviewOptions(base=_load_base(options), **dict(options.settings))
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("review-scan-thread")
        try:
            os.write(fd, data)
            return review([f"/proc/self/fd/{fd}"], review_options)
        finally:
            os.close(fd)
    with tempfile.TemporaryDirectory(prefix="review-scan-") as scratch:
        path = Path(scratch, "thread.mbox")
        path.write_bytes(data)
        return review([str(path)], review_options)


def _terminated(raw: bytes) -> bytes:
    """The message ending in a blank line, so the next ``From `` line separates."""
    if raw.endswith(b"\n\n"):
        return raw
    return raw + (b"\n" if raw.endswith(b"\n") else b"\n\n")


def _summarise(report: Report, job: ThreadJob, result: ThreadResult) -> ThreadResult:
    series = report.series
    subject = result.subject
    patches = 0
    version = None
    if series is not None:
        patches = len(series.patches)
        version = series.version
        lead = series.cover or (series.patches[0] if series.patches else None)
        if lead is not None:
            subject = lead.subject.raw
    codes: dict[str, int] = {}
    for finding in report.findings:
        codes[finding.code] = codes.get(finding.code, 0) + 1
    return replace(
        result,
        subject=_printable(subject),
        patches=patches,
        version=version,
        verdict=report.verdict,
        counts=tuple((sev.value, n) for sev, n in report.counts().items()),
        codes=tuple(sorted(codes.items())),
        findings=tuple(
            (f.code, f.severity.value, _printable(_where(f.at, job)), _printable(f.message))
            for f in report.findings
        ),
    )


def _printable(text: str) -> str:
    """``text`` without lone surrogates (undecodable mail bytes kept by a
    stage), so the summary can always be written as UTF-8
    (tests/data/fuzz/headers-8bit-message-id.mbox)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _where(at: Location | None, job: ThreadJob) -> str:
    """Where a finding is, with thread-local message numbers mapped to the archive."""
    if at is None:
        return ""
    if isinstance(at, MailLocation) and 1 <= at.index <= len(job.spans):
        span = job.spans[at.index - 1]
        return MailLocation(span.archive, span.index, at.line).describe()
    return at.describe()


# --- rendering ------------------------------------------------------------------


def render_scan_text(summary: ScanSummary) -> str:
    """One block per QAPI series, then a total line (plain text, deterministic)."""
    return "".join(iter_scan_text(summary, summary.results))


def iter_scan_text(summary: ScanSummary, results: Iterable[ThreadResult]) -> Iterator[str]:
    """``render_scan_text`` in pieces, as results arrive (``review scan`` streams it)."""
    verdicts: dict[str, int] = {}
    for r in results:
        yield _result_text(r)
        key = "internal error" if r.crashed else ("not reviewed" if r.error else r.verdict)
        verdicts[key] = verdicts.get(key, 0) + 1
    tally = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
    yield (
        f"scanned {summary.messages} messages in {summary.threads} threads "
        f"({summary.bytes_read / 1e6:.1f} MB); {sum(verdicts.values())} series touch "
        f"qapi/*.json" + (f": {tally}" if tally else "") + "\n"
    )


def _result_text(r: ThreadResult) -> str:
    facts = [", ".join(r.qapi_paths), f"{r.messages} messages"]
    if r.error is not None:
        facts.append(("internal error" if r.crashed else "not reviewed") + f": {r.error}")
    else:
        version = f" v{r.version}" if r.version is not None else ""
        facts.append(f"{r.patches} patches{version}")
        counts = ", ".join(_plural(n, sev) for sev, n in r.counts if n)
        facts.append(f"{r.verdict}" + (f" ({counts})" if counts else ""))
        if r.codes:
            facts.append(" ".join(f"{code}x{n}" for code, n in r.codes))
    return f"{r.first}: {r.subject}\n  " + " | ".join(facts) + "\n"


def _plural(n: int, severity: str) -> str:
    word = {"error": "error", "warning": "warning", "info": "note"}.get(severity, severity)
    return f"{n} {word}" + ("" if n == 1 else "s")


def render_scan_json(summary: ScanSummary) -> str:
    """``ScanSummary.to_dict()`` as indented JSON."""
    return "".join(iter_scan_json(summary, summary.results))


def iter_scan_json(summary: ScanSummary, results: Iterable[ThreadResult]) -> Iterator[str]:
    """``render_scan_json`` in pieces: the document is written series by series."""
    head = summary.to_dict()
    del head["series"], head["qapi_series"]
    text = json.dumps(head, indent=2, ensure_ascii=False)
    yield text[: text.rindex("}")].rstrip() + ',\n  "series": ['
    count = 0
    for r in results:
        item = json.dumps(r.to_dict(), indent=2, ensure_ascii=False).replace("\n", "\n    ")
        yield ("," if count else "") + "\n    " + item
        count += 1
    yield ("\n  ]" if count else "]") + f',\n  "qapi_series": {count}\n}}\n'
