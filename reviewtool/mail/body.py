"""Split a patch mail's body into its parts (pure text functions).

``parse_body(text)`` gives a ``PatchBody``: the commit message, its trailers,
the notes between ``---`` and the diff (diffstat, changelog), the diff text,
the footer after the diff (``base-commit:``, b4's ``change-id:``) and the
signature after ``-- ``. ``parse_reply_trailers(text)`` finds the trailers a
reviewer wrote in a follow-up, ignoring quoted (``> ``) lines.

The end of the diff is found by honouring each hunk's line counts, so a
``---`` line right after the last hunk (b4's footer) is not taken for a
removal. Seen in: ../shared/corpus/d-b4-single-patch-base-commit.mbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewtool.location import MailLocation

# "Signed-off-by: A U Thor <a@example.org>", "Fixes: 0123abcd ("x")", "Acked-by: Name"
TRAILER_RE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):[ \t]+(?P<value>\S.*)$")
# "Name <addr>" -> addr; "addr" alone
EMAIL_RE = re.compile(r"<(?P<angle>[^<>\s]+@[^<>\s]+)>|(?P<bare>\b[^<>\s()]+@[^<>\s()]+\.\w+\b)")
# "@@ -152,4 +152,6 @@ bool f(void);", "@@ -1 +1 @@"
HUNK_RE = re.compile(r"^@@ -(?P<ss>\d+)(?:,(?P<sl>\d+))? \+(?P<ts>\d+)(?:,(?P<tl>\d+))? @@")
# "base-commit: c85ba2d7a4056595166689890285105579db446a" (git format-patch --base, b4)
BASE_COMMIT_RE = re.compile(r"^base-commit:\s*(?P<sha>[0-9a-fA-F]{7,40})\s*$")
# "prerequisite-patch-id: 8c35...": one per patch the series depends on
PREREQ_RE = re.compile(r"^prerequisite-patch-id:\s*(?P<sha>[0-9a-fA-F]{7,40})\s*$")
# git's extended header lines between "diff --git" and "---"/"+++" (or alone)
DIFF_HEADER_RE = re.compile(
    r"^(?:index [0-9a-fA-F]+\.\.[0-9a-fA-F]+|old mode |new mode |deleted file mode |"
    r"new file mode |similarity index |dissimilarity index |rename from |rename to |"
    r"copy from |copy to |Binary files )"
)
# one line of a "GIT binary patch" block: "literal 1234", "delta 56", base85 data
BINARY_LINE_RE = re.compile(
    r"^(?:literal \d+|delta \d+|[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]*)$"
)

# Trailer names that make a trailer block; any other "Token: value" line in
# the block still counts as a trailer once one of these is present.
KNOWN_TRAILERS = frozenset(
    name.lower()
    for name in (
        "Signed-off-by",
        "Reviewed-by",
        "Acked-by",
        "Tested-by",
        "Reported-by",
        "Suggested-by",
        "Co-developed-by",
        "Co-authored-by",
        "Cc",
        "Fixes",
        "Link",
        "Closes",
        "Resolves",
        "Buglink",
        "Message-ID",
        "Message-Id",
        "Based-on",
    )
)


@dataclass(frozen=True, slots=True)
class Trailer:
    """One ``Name: value`` trailer, own or given in a reply."""

    name: str  # as written: "Reviewed-by"
    value: str  # "A U Thor <a@example.org>" (may have no address, as in the seed)
    email: str | None  # the address in ``value``, when there is one
    from_reply: bool = False  # given in a follow-up, not in the patch mail itself
    given_by: str | None = None  # "Name <addr>" of the reply's sender
    line: int | None = None  # 1-based line in the body it was read from
    location: MailLocation | None = None  # set by series.py, which knows the message

    @property
    def key(self) -> str:
        """Lower-case name: compare trailers with ``t.key == "reviewed-by"``."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class PatchBody:
    """A mail body split into its parts; every part is ``""`` when absent."""

    message: str  # commit message (or cover text), trailers removed
    trailers: tuple[Trailer, ...]  # Signed-off-by:, Reviewed-by:, ...
    notes: str  # between '---' and the diff (changelog, diffstat)
    diff: str  # handed to diff.parse_diff(); ends with "\n" when not empty
    signature: str  # after '-- '
    footer: str = ""  # after the diff, before the signature (base-commit:, change-id:)
    in_body_from: str | None = None  # "From: Name <addr>" at the top of the body
    diff_line: int = 0  # 1-based body line where the diff starts (0: no diff)
    base_commit: str | None = None
    prerequisite_patch_ids: tuple[str, ...] = ()

    @property
    def has_diff(self) -> bool:
        return bool(self.diff)


def parse_trailer(line: str, number: int | None = None) -> Trailer | None:
    """``"Acked-by: Peter Xu <peterx@redhat.com>"`` -> ``Trailer``; None when not one."""
    m = TRAILER_RE.match(line.rstrip())
    if m is None:
        return None
    value = m.group("value").strip()
    return Trailer(name=m.group("name"), value=value, email=find_email(value), line=number)


def find_email(value: str) -> str | None:
    """The address in ``"Name <addr>"`` or a bare ``addr``; None when absent."""
    m = EMAIL_RE.search(value)
    if m is None:
        return None
    return m.group("angle") or m.group("bare")


def parse_body(text: str) -> PatchBody:
    """Split a decoded body (``\\n`` line ends) into message, trailers, notes,
    diff, footer and signature. Never raises: a body without a diff has
    ``diff == ""`` (a cover letter or a discussion mail)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start = _find_diff_start(lines)
    if start is None:
        sig = _find_signature(lines, 0)
        head, signature = lines[:sig], lines[sig + 1 :] if sig < len(lines) else []
        diff_lines: list[str] = []
        footer: list[str] = []
    else:
        end = _find_diff_end(lines, start)
        head, diff_lines = lines[:start], lines[start:end]
        sig = _find_signature(lines, end)
        footer = lines[end:sig]
        signature = lines[sig + 1 :] if sig < len(lines) else []

    # In-body "From:" (and "Date:"/"Subject:") at the top override the mail's
    # headers: git am's convention, used by PULL requests for original authors.
    in_body_from: str | None = None
    first = 0
    while first < len(head) and head[first].strip() == "":
        first += 1
    if first < len(head) and head[first].startswith("From:"):
        in_body_from = head[first][5:].strip() or None
        first += 1
        while first < len(head) and re.match(r"^(Date|Subject):", head[first]):
            first += 1
        if first < len(head) and head[first].strip() == "":
            first += 1
    else:
        first = 0

    separator = _find_separator(head)
    if separator is None:
        message_lines, notes_lines = head[first:], []
    else:
        message_lines, notes_lines = head[first:separator], head[separator + 1 :]
    message, trailers = _split_trailers(message_lines, offset=first)

    base_commit: str | None = None
    prereqs: list[str] = []
    # base-commit sits in the footer of a patch, or anywhere in a cover letter
    for line in (*footer, *notes_lines, *(message_lines if start is None else ())):
        if (m := BASE_COMMIT_RE.match(line.strip())) and base_commit is None:
            base_commit = m.group("sha")
        elif m := PREREQ_RE.match(line.strip()):
            prereqs.append(m.group("sha"))

    return PatchBody(
        message=message,
        trailers=trailers,
        notes=_join(notes_lines),
        diff=_join(diff_lines, keep_blank_edges=True),
        signature=_join(signature),
        footer=_join(footer),
        in_body_from=in_body_from,
        diff_line=0 if start is None else start + 1,
        base_commit=base_commit,
        prerequisite_patch_ids=tuple(prereqs),
    )


def parse_reply_trailers(text: str) -> tuple[Trailer, ...]:
    """The ``*-by:`` trailers a reviewer wrote in a follow-up mail.

    Only lines the replier wrote count: quoted lines (``>``), the signature
    and anything after it are skipped, and so is ``Signed-off-by`` (a reply
    does not sign off the patch it answers).
    """
    found: list[Trailer] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if _is_signature_separator(line):
            break
        if line.lstrip().startswith(">"):
            continue
        trailer = parse_trailer(line.strip(), number)
        if trailer is None:
            continue
        key = trailer.key
        if key.endswith("-by") and key != "signed-off-by" and " " not in trailer.name:
            found.append(trailer)
    return tuple(found)


def _join(lines: list[str], keep_blank_edges: bool = False) -> str:
    if not keep_blank_edges:
        while lines and not lines[0].strip():
            lines = lines[1:]
        while lines and not lines[-1].strip():
            lines = lines[:-1]
    return "\n".join(lines) + "\n" if lines else ""


def _is_signature_separator(line: str) -> bool:
    # "-- " is the standard; b4 writes "--  " and some clients strip it to "--"
    return line.rstrip(" ") == "--"


def _find_signature(lines: list[str], begin: int) -> int:
    """Index of the last signature separator at or after ``begin``, or len(lines)."""
    for i in range(len(lines) - 1, begin - 1, -1):
        if _is_signature_separator(lines[i]):
            return i
    return len(lines)


def _find_separator(head: list[str]) -> int | None:
    """Index of the first ``---`` line (start of the notes), or None."""
    for i, line in enumerate(head):
        if line.rstrip() == "---":
            return i
    return None


def _is_file_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line.startswith(("diff --git ", "diff --cc ")):
        return True
    if line.startswith("diff -") and i + 1 < len(lines):
        return lines[i + 1].startswith(("--- ", "index "))
    if line.startswith("Index: ") and i + 1 < len(lines) and lines[i + 1].startswith("===="):
        return True
    return (
        line.startswith("--- ")
        and i + 2 < len(lines)
        and lines[i + 1].startswith("+++ ")
        and lines[i + 2].startswith("@@ ")
    )


def _find_diff_start(lines: list[str]) -> int | None:
    for i in range(len(lines)):
        if _is_file_start(lines, i):
            return i
    return None


def _find_diff_end(lines: list[str], start: int) -> int:
    """Index just past the diff that begins at ``start``, honouring hunk counts."""
    i = start
    n = len(lines)
    while i < n:
        line = lines[i]
        is_header = _is_file_start(lines, i) or DIFF_HEADER_RE.match(line)
        if is_header or line.startswith(("Index: ", "====", "--- ", "+++ ")):
            i += 1
        elif line == "GIT binary patch":
            i += 1
            while i < n and (BINARY_LINE_RE.match(lines[i]) or lines[i] == ""):
                # a blank line ends a binary block unless another block follows
                if lines[i] == "" and not (i + 1 < n and BINARY_LINE_RE.match(lines[i + 1])):
                    i += 1
                    break
                i += 1
        elif m := HUNK_RE.match(line):
            old = 1 if m.group("sl") is None else int(m.group("sl"))
            new = 1 if m.group("tl") is None else int(m.group("tl"))
            i += 1
            while i < n and (old > 0 or new > 0):
                body = lines[i]
                if body.startswith("\\"):
                    pass
                elif body.startswith("-"):
                    old -= 1
                elif body.startswith("+"):
                    new -= 1
                elif body.startswith(" ") or body == "":
                    # an empty line is a context line whose lone space a
                    # mailer stripped
                    old -= 1
                    new -= 1
                else:
                    break
                i += 1
            while i < n and lines[i].startswith("\\"):
                i += 1  # "\ No newline at end of file"
        else:
            break
    return i


def _split_trailers(lines: list[str], offset: int) -> tuple[str, tuple[Trailer, ...]]:
    """Take the trailer block (the last paragraph) off the message."""
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    begin = end
    while begin > 0 and lines[begin - 1].strip():
        begin -= 1
    block = lines[begin:end]
    trailers: list[Trailer] = []
    plain = 0
    for j, line in enumerate(block):
        trailer = parse_trailer(line, offset + begin + j + 1)
        if trailer is not None:
            trailers.append(trailer)
        elif line[:1] in (" ", "\t") and trailers:
            # a folded trailer value continues on an indented line
            last = trailers[-1]
            value = f"{last.value} {line.strip()}"
            trailers[-1] = Trailer(last.name, value, find_email(value), line=last.line)
        else:
            plain += 1  # "[PMM: fixed typo]" and similar notes inside the block
    known = any(t.key in KNOWN_TRAILERS for t in trailers)
    # git's rule of thumb: a trailer block is mostly trailers and has a known one
    if not trailers or not known or plain * 3 > len(trailers):
        return _join(lines), ()
    return _join(lines[:begin]), tuple(trailers)
