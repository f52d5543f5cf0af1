"""Watch mode: a mailing-list bot that replies once to each complete series.

Owns the loop around the pipeline: read what was delivered into an inbox
Maildir, group messages into threads and threads into series revisions,
wait until a revision is complete (every patch 1..N is there) or until
``wait_timeout`` seconds have passed since its first patch arrived, then
check it once and write the reply mails into an outbox Maildir. Threads
without a patch (discussions, replies) are never checked.

State lives in SQLite (default: a dotfile next to the outbox) so a restart
neither checks a series twice nor forgets one it was waiting for:

* ``messages``: every inbox file seen, by its Maildir unique name, with the
  headers that grouping needs (so a file is parsed once);
* ``series``: one row per series revision (thread root + version): when its
  first patch was seen, and whether it was checked;
* ``pending``: reply files written to ``outbox/tmp`` whose series is already
  marked checked but that are not yet moved to ``outbox/new``. Marking and
  recording happen in one transaction, so a crash at any point leads to
  exactly one delivery: the next start moves what is pending.

The inbox is only read (a mail reader may move files from new/ to cur/
meanwhile: we follow the unique name). Sits at the pipeline layer: imports
pipeline, report, mail, series-level parsers and errors.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewtool.errors import InputError, ReviewError
from reviewtool.mail.body import parse_body
from reviewtool.mail.mbox import read_messages
from reviewtool.mail.subject import parse_subject

if TYPE_CHECKING:
    from reviewtool.pipeline import ReviewOptions
    from reviewtool.tree import Tree

DEFAULT_WAIT_TIMEOUT = 3600.0  # seconds to wait for the rest of a series
DEFAULT_INTERVAL = 60.0  # seconds between two looks at the inbox

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    name TEXT PRIMARY KEY,      -- Maildir unique name (before ':2,flags')
    message_id TEXT,            -- NULL when the file could not be read
    parents TEXT NOT NULL,      -- JSON list: In-Reply-To, then References
    is_patch INTEGER NOT NULL,  -- a patch mail: has a diff and is not a reply
    is_cover INTEGER NOT NULL,  -- "[PATCH 0/N]"
    version INTEGER,
    counter INTEGER,
    total INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS series (
    key TEXT PRIMARY KEY,       -- "<thread root Message-ID> v<version>"
    first_seen REAL NOT NULL,
    status TEXT NOT NULL,       -- waiting, checked, failed
    replies INTEGER NOT NULL DEFAULT 0,
    note TEXT
);
CREATE TABLE IF NOT EXISTS pending (
    file TEXT PRIMARY KEY,      -- name in outbox/tmp, to move to outbox/new
    key TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class MailRecord:
    """What grouping needs to know about one delivered message."""

    name: str  # Maildir unique name
    message_id: str
    parents: tuple[str, ...]  # In-Reply-To, then References nearest first: the root is last
    is_patch: bool
    is_cover: bool
    version: int | None
    counter: int | None
    total: int | None


@dataclass(frozen=True, slots=True)
class SeriesGroup:
    """One revision of one series in one thread, as delivered so far.

    ``files`` are every message of the thread (patches, cover letter and
    replies, whose trailers count), for the check to read; ``version`` is
    the revision to check when the thread holds several.
    """

    key: str
    version: int
    files: tuple[Path, ...]
    slots: tuple[int, ...]  # patch slots present (1..N)
    total: int
    has_cover: bool

    @property
    def complete(self) -> bool:
        return set(range(1, self.total + 1)) <= set(self.slots)


# The "check a group" step: reply mails (bytes, one message each) for a group.
CheckGroup = Callable[[SeriesGroup], Sequence[bytes]]


@dataclass(slots=True)
class PollResult:
    """What one look at the inbox did, for logging and tests."""

    checked: list[str] = field(default_factory=list)  # keys checked now
    replies: list[Path] = field(default_factory=list)  # files delivered to outbox/new
    waiting: list[str] = field(default_factory=list)  # keys still incomplete
    failed: list[str] = field(default_factory=list)  # keys whose check raised


def pipeline_check(
    base: Tree,
    *,
    sender: str | None = None,
    clock: Callable[[], float] = time.time,
    options: ReviewOptions | None = None,
) -> CheckGroup:
    """The production "check a group" step: the whole pipeline on the thread's
    messages against ``base`` (loaded once), then the email renderer."""
    # Imported here: the engine itself (grouping, state, delivery) needs
    # neither, and its unit tests stub this step.
    from reviewtool.pipeline import ReviewOptions, review
    from reviewtool.report.mail_reply import DEFAULT_SENDER, build_replies, message_bytes

    template = options or ReviewOptions()
    me = sender or DEFAULT_SENDER

    def check(group: SeriesGroup) -> list[bytes]:
        run = replace(template, base=base, series_version=group.version)
        report = review([str(p) for p in group.files], run)
        date = datetime.fromtimestamp(clock(), tz=UTC)
        return [message_bytes(m) for m in build_replies(report, sender=me, date=date)]

    return check


def default_state_path(outbox: Path) -> Path:
    """``<outbox's parent>/.<outbox name>.review-watch.sqlite``: next to the outbox."""
    outbox = Path(os.path.abspath(outbox))
    return outbox.parent / f".{outbox.name}.review-watch.sqlite"


class Watcher:
    """The watch engine over one inbox, one outbox and one state file.

    ``check`` is the "check one series revision" step (the pipeline plus the
    email renderer in production, a stub in unit tests); ``clock`` gives
    the time in seconds (injected by tests of the timeout).
    """

    def __init__(
        self,
        inbox: Path,
        outbox: Path,
        check: CheckGroup,
        *,
        state: Path | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.inbox = Path(inbox)
        self.outbox = Path(outbox)
        self.check = check
        self.wait_timeout = wait_timeout
        self.clock = clock
        self.log = log or (lambda line: print(line, file=sys.stderr))
        _require_maildir(self.inbox)
        if self.outbox.resolve() == self.inbox.resolve():
            raise InputError("the outbox must not be the inbox", path=str(outbox))
        self.state_path = state or default_state_path(self.outbox)
        try:
            self.db = sqlite3.connect(self.state_path)
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise InputError(f"cannot open the watch state: {e}", path=str(self.state_path)) from e

    def close(self) -> None:
        self.db.close()

    # --- one look at the inbox ------------------------------------------------

    def poll(self) -> PollResult:
        """Deliver pending replies, read new mail, check what is ready."""
        result = PollResult()
        _make_maildir(self.outbox)
        result.replies += self._deliver_pending()
        files = _list_maildir(self.inbox)
        records = self._records(files)
        now = self.clock()
        for group in group_series(records, files):
            row = self.db.execute(
                "SELECT first_seen, status FROM series WHERE key = ?", (group.key,)
            ).fetchone()
            if row is None:
                with self.db:
                    self.db.execute(
                        "INSERT INTO series (key, first_seen, status) VALUES (?, ?, 'waiting')",
                        (group.key, now),
                    )
                first_seen, status = now, "waiting"
            else:
                first_seen, status = row
            if status != "waiting":
                continue  # checked (or failed) once: never again
            if not group.complete and now - first_seen < self.wait_timeout:
                result.waiting.append(group.key)
                continue
            self._check(group, result)
        return result

    def run(self, *, interval: float = DEFAULT_INTERVAL, once: bool = False) -> None:
        """Poll until interrupted (or once)."""
        while True:
            result = self.poll()
            for key in result.checked:
                self.log(f"review watch: checked {key}")
            for key in result.failed:
                self.log(f"review watch: could not check {key}")
            if once:
                return
            time.sleep(interval)

    # --- internals ------------------------------------------------------------

    def _records(self, files: dict[str, Path]) -> list[MailRecord]:
        known: dict[str, tuple[Any, ...]] = {
            row[0]: tuple(row)
            for row in self.db.execute(
                "SELECT name, message_id, parents, is_patch, is_cover, version, counter, total"
                " FROM messages"
            )
        }
        records = []
        for name, path in sorted(files.items()):
            row = known.get(name)
            record = _record_of(row) if row is not None else self._read(name, path)
            if record is not None:  # None: unreadable, recorded once and skipped since
                records.append(record)
        return records

    def _read(self, name: str, path: Path) -> MailRecord | None:
        """Parse one delivered file and remember what grouping needs."""
        error: str | None = None
        try:
            messages = read_messages([str(path)]).messages
        except ReviewError as e:
            messages, error = (), e.render()
        record = None
        if not messages:
            error = error or "no message in the file"
            self.log(f"review watch: skipping {path}: {error}")
        else:
            msg = messages[0]
            subject = parse_subject(msg.subject)
            has_diff = parse_body(msg.body).has_diff
            record = MailRecord(
                name=name,
                message_id=msg.message_id or f"review-watch-no-id-{name}",
                parents=msg.parent_ids,
                is_patch=has_diff and not subject.is_reply,
                is_cover=subject.counter == 0 and not subject.is_reply and subject.is_patch,
                version=_sqlite_int(subject.version),
                counter=_sqlite_int(subject.counter),
                total=_sqlite_int(subject.total),
            )
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO messages (name, message_id, parents, is_patch, is_cover,"
                " version, counter, total, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    record.message_id if record else None,
                    json.dumps(list(record.parents) if record else []),
                    int(record.is_patch) if record else 0,
                    int(record.is_cover) if record else 0,
                    record.version if record else None,
                    record.counter if record else None,
                    record.total if record else None,
                    error,
                ),
            )
        return record

    def _check(self, group: SeriesGroup, result: PollResult) -> None:
        try:
            replies = list(self.check(group))
        except Exception as e:  # one bad series must not stop the bot; never retried
            note = e.render() if isinstance(e, ReviewError) else f"{type(e).__name__}: {e}"
            with self.db:
                self.db.execute(
                    "UPDATE series SET status = 'failed', note = ? WHERE key = ?",
                    (note, group.key),
                )
            self.log(f"review watch: {group.key}: {note}")
            result.failed.append(group.key)
            return
        written = [self._write_tmp(reply) for reply in replies]
        partial = None if group.complete else f"incomplete after {self.wait_timeout:g}s"
        with self.db:
            self.db.execute(
                "UPDATE series SET status = 'checked', replies = ?, note = ? WHERE key = ?",
                (len(written), partial, group.key),
            )
            self.db.executemany(
                "INSERT INTO pending (file, key) VALUES (?, ?)",
                [(name, group.key) for name in written],
            )
        result.checked.append(group.key)
        result.replies += self._deliver_pending()

    def _write_tmp(self, reply: bytes) -> str:
        name = f"{time.time_ns()}.R{uuid.uuid4().hex}.{_hostname()}"
        tmp = self.outbox / "tmp" / name
        with open(tmp, "wb") as out:
            out.write(reply)
            out.flush()
            os.fsync(out.fileno())
        return name

    def _deliver_pending(self) -> list[Path]:
        delivered = []
        for (name,) in self.db.execute("SELECT file FROM pending ORDER BY file").fetchall():
            tmp, new = self.outbox / "tmp" / name, self.outbox / "new" / name
            if tmp.exists():
                os.replace(tmp, new)
            if new.exists():
                delivered.append(new)
            with self.db:
                self.db.execute("DELETE FROM pending WHERE file = ?", (name,))
        return delivered


def _record_of(row: tuple[Any, ...]) -> MailRecord | None:
    """A ``messages`` row as a MailRecord; None for a file that could not be read."""
    if row[1] is None:
        return None
    return MailRecord(
        name=str(row[0]),
        message_id=str(row[1]),
        parents=tuple(str(p) for p in json.loads(row[2])),
        is_patch=bool(row[3]),
        is_cover=bool(row[4]),
        version=row[5],
        counter=row[6],
        total=row[7],
    )


# --- grouping -------------------------------------------------------------------


def group_series(records: Iterable[MailRecord], files: dict[str, Path]) -> list[SeriesGroup]:
    """Series revisions in the delivered mail, one per (thread, version).

    Threads are the connected parts of the Message-ID graph (a message joins
    the thread of any id in its In-Reply-To or References, delivered or
    not). A thread without a patch mail is a discussion: no group.
    """
    records = list(records)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for record in records:
        for other in record.parents:
            a, b = find(record.message_id), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    threads: dict[str, list[MailRecord]] = {}
    for record in records:
        threads.setdefault(find(record.message_id), []).append(record)

    groups = []
    for members in threads.values():
        patches = [r for r in members if r.is_patch]
        versions = sorted({r.version or 1 for r in patches})
        for version in versions:
            mine = [r for r in patches if (r.version or 1) == version]
            covers = [r for r in members if r.is_cover and (r.version or 1) == version]
            # the thread root this revision hangs from: stable as mail arrives
            root = min(r.parents[-1] if r.parents else r.message_id for r in mine + covers)
            total = max([r.total or 1 for r in mine + covers] or [1])
            slots = tuple(sorted({r.counter or 1 for r in mine}))
            groups.append(
                SeriesGroup(
                    key=f"<{root}> v{version}",
                    version=version,
                    files=tuple(files[r.name] for r in sorted(members, key=lambda r: r.name)),
                    slots=slots,
                    total=total,
                    has_cover=bool(covers),
                )
            )
    return sorted(groups, key=lambda g: g.key)


# --- Maildir files (read and written here, never through the mailbox module) ---------


def _require_maildir(path: Path) -> None:
    if not (path / "new").is_dir() or not (path / "cur").is_dir():
        raise InputError("not a Maildir (no new/ and cur/ folders)", path=str(path))


def _make_maildir(path: Path) -> None:
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(parents=True, exist_ok=True)


def _list_maildir(path: Path) -> dict[str, Path]:
    """Unique name -> current file, for new/ and cur/ (a reader may move files)."""
    found: dict[str, Path] = {}
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            found.setdefault(entry.name.split(":", 1)[0], entry)
    return found


def _hostname() -> str:
    # '/' and ':' are not allowed in a Maildir name; keep it short and plain
    host = socket.gethostname() or "localhost"
    return "".join(c if c.isalnum() or c in "-." else "_" for c in host)[:64]


# SQLite integers are 64-bit; a subject such as "[PATCH 99999999999999999999/2]"
# would overflow the column. Such a number is out of range for any series, so
# it is kept as the largest value SQLite holds, which still reads as "beyond the
# series". Seen in: tests/data/fuzz/headers-counter-overflow.mbox
_SQLITE_INT_MAX = 2**63 - 1


def _sqlite_int(value: int | None) -> int | None:
    """``value`` clamped to what an SQLite INTEGER column can hold."""
    if value is None:
        return None
    return max(-_SQLITE_INT_MAX, min(value, _SQLITE_INT_MAX))
