"""Build a large mbox archive from real threads, for ``review scan`` benchmarks.

Usage: python bench/make_archive.py OUT.mbox SIZE_MB [MBOX ...]

Repeats the given threads (default: ../shared/corpus/*.mbox and the bundled
sample) until OUT is at least SIZE_MB megabytes. Every copy gets its own
Message-IDs (and matching In-Reply-To / References) and a subject tag
"[copy N]" so each copy is a distinct thread. Write OUT under /tmp: the
archive is never committed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FROM_LINE = re.compile(rb"^From \S+ +.*\d{1,2}:\d\d(?::\d\d)? .*\d{4}\s*$", re.MULTILINE)
# "<20260201162001.296328-4-vsementsov@yandex-team.ru>" inside id headers
ID = re.compile(rb"<([^<>\s]+)>")
ID_HEADER = re.compile(rb"^(message-id|in-reply-to|references):", re.IGNORECASE)
SUBJECT = re.compile(rb"^(subject:\s*)", re.IGNORECASE)


def split_messages(data: bytes) -> list[bytes]:
    starts = [m.start() for m in FROM_LINE.finditer(data)] or [0]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


def rewrite(message: bytes, copy: int) -> bytes:
    """The message with ids and subject made unique for copy ``copy``."""
    end = message.find(b"\n\n")
    head, body = (message, b"") if end < 0 else (message[:end], message[end:])
    out = []
    in_ids = False
    for line in head.split(b"\n"):
        if line[:1] not in (b" ", b"\t"):
            in_ids = bool(ID_HEADER.match(line))
            line = SUBJECT.sub(lambda m: m.group(1) + b"[copy %d] " % copy, line, count=1)
        if in_ids:
            line = ID.sub(lambda m: b"<c%d.%s>" % (copy, m.group(1)), line)
        out.append(line)
    return b"\n".join(out) + body


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out, size = Path(argv[0]), int(float(argv[1]) * 1_000_000)
    sources = [Path(a) for a in argv[2:]] or [
        *sorted((ROOT.parent / "shared" / "corpus").glob("*.mbox")),
        ROOT / "samples" / "backend-transfer-v10-3-8.mbox",
    ]
    threads = []
    for src in sources:
        data = src.read_bytes()
        # a separator only counts after a blank line: end every thread with one
        data = data.rstrip(b"\n") + b"\n\n"
        threads.append(split_messages(data))
    written = copy = 0
    with out.open("wb") as handle:
        while written < size:
            for messages in threads:
                for message in messages:
                    chunk = rewrite(message, copy)
                    handle.write(chunk)
                    written += len(chunk)
            copy += 1
    print(f"{out}: {written / 1e6:.1f} MB, {copy} copies of {len(threads)} threads")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
