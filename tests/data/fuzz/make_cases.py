"""Write the hostile mail cases of tests/data/fuzz/ (see ../README.md).

Run ``python3 tests/data/fuzz/make_cases.py`` to rewrite them; add a case by
adding an entry to ``files`` below (name ``<category>-<what>.mbox``). The
cases are written by us; none is copied from a real archive.
"""

# The cases are byte-exact literals: long lines and the "-- " signature
# separator (trailing space) are the point, not style slips.
# ruff: noqa: E501, W291

import base64
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def hdr(subject, mid, extra=""):
    return (
        f"From fuzz@example.org Mon Jan  5 10:00:00 2026\n"
        f"From: Fuzz Tester <fuzz@example.org>\n"
        f"To: qemu-devel@nongnu.org\n"
        f"Date: Mon, 5 Jan 2026 10:00:00 +0000\n"
        f"Message-ID: <{mid}@example.org>\n"
        f"Subject: {subject}\n{extra}"
    )


BODY = """qapi: add a fuzz-param migration parameter

Adds a parameter so the fuzz corpus has something QAPI-shaped.

Signed-off-by: Fuzz Tester <fuzz@example.org>
---
 qapi/migration.json | 6 ++++++
 1 file changed, 6 insertions(+)

diff --git a/qapi/migration.json b/qapi/migration.json
index 1111111..2222222 100644
--- a/qapi/migration.json
+++ b/qapi/migration.json
@@ -1,3 +1,9 @@
 # -*- Mode: Python -*-
 # vim: filetype=python
 #
+##
+# @FuzzThing:
+#
+# Since: 11.0
+##
+{ 'struct': 'FuzzThing', 'data': { 'fuzz-param': 'uint32' } }
-- 
2.43.0
"""


def plain(subject, mid, body=BODY, extra="", cte="8bit", charset="utf-8"):
    return (
        hdr(
            subject,
            mid,
            extra
            + f"MIME-Version: 1.0\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}\n",
        )
        + "\n"
        + body
        + "\n"
    )


files = {}
S = "[PATCH 1/1] qapi: add fuzz-param"
# --- structure ---
files["structure-empty.mbox"] = b""
files["structure-only-from-line.mbox"] = b"From fuzz@example.org Mon Jan  5 10:00:00 2026\n"
files["structure-blank-lines-only.mbox"] = b"\n\n\n\n"
files["structure-headers-no-body.mbox"] = hdr(S, "nobody").encode()
files["structure-no-blank-line-after-headers.mbox"] = (hdr(S, "noblank") + BODY).encode()
files["structure-body-without-headers.eml"] = BODY.encode()
files["structure-nul-bytes.mbox"] = (
    plain(S, "nul").encode().replace(b"Adds a", b"Adds\x00\x00 a").replace(b"+##", b"+#\x00#")
)
files["structure-crlf-line-ends.mbox"] = plain(S, "crlf").encode().replace(b"\n", b"\r\n")
files["structure-cr-only-line-ends.mbox"] = plain(S, "cronly").encode().replace(b"\n", b"\r")
files["structure-truncated-mid-hunk.mbox"] = plain(S, "trunc").encode()[
    : plain(S, "trunc").encode().index(b"+# @FuzzThing")
]
files["structure-unescaped-from-in-body.mbox"] = plain(
    S,
    "fromline",
    body=BODY.replace(
        "Adds a", "From the start, adds a\nFrom fuzz@example.org Mon Jan  5 10:00:00 2026\nand"
    ),
).encode()
files["structure-very-long-line.mbox"] = plain(
    S, "longline", body=BODY.replace("Adds a", "A" * 200_000 + " adds a")
).encode()
files["structure-very-long-header.mbox"] = plain(
    "[PATCH 1/1] " + "qapi " * 20_000, "longhdr"
).encode()
files["structure-binary-garbage.mbox"] = bytes(range(256)) * 64
files["structure-flattened-message.mbox"] = plain(S, "flat").replace("\n", " ").encode()
files["structure-many-empty-messages.mbox"] = b"".join(
    f"From x@example.org Mon Jan  5 10:00:00 2026\nMessage-ID: <e{i}@example.org>\n\n".encode()
    for i in range(2000)
)

# --- encoding ---
files["encoding-unknown-charset-label.mbox"] = plain(
    S, "unkcs", charset="x-no-such-charset"
).encode()
files["encoding-wrong-charset-latin1-bytes-as-utf8.mbox"] = plain(
    S, "wrongcs", body=BODY.replace("Fuzz Tester <", "Fuzz Test\xe9r <")
).encode("latin-1")
files["encoding-utf16-label-on-ascii.mbox"] = plain(S, "utf16", charset="utf-16").encode()
files["encoding-broken-quoted-printable.mbox"] = plain(
    S,
    "badqp",
    cte="quoted-printable",
    body=BODY.replace("Adds a", "Adds =ZZ =\n=4 a").replace("+##", "+#=2"),
).encode()
files["encoding-qp-soft-breaks-in-diff.mbox"] = plain(
    S,
    "qpsoft",
    cte="quoted-printable",
    body=BODY.replace("'uint32' } }", "'ui=\nnt32' } }").replace(
        "diff --git a/", "diff --git a=\n/"
    ),
).encode()
b64 = base64.encodebytes(BODY.encode()).decode()
files["encoding-base64-truncated.mbox"] = plain(
    S, "b64trunc", cte="base64", body=b64[: len(b64) // 2 + 3]
).encode()
files["encoding-base64-garbage.mbox"] = plain(
    S, "b64junk", cte="base64", body="!!!! not base64 at all ****\n%%%%\n"
).encode()
files["encoding-base64-binary-payload.mbox"] = plain(
    S, "b64bin", cte="base64", body=base64.encodebytes(bytes(range(256)) * 8).decode()
).encode()
files["encoding-unknown-transfer-encoding.mbox"] = plain(S, "x-uue", cte="x-uuencode").encode()
files["encoding-bad-encoded-word-subject.mbox"] = plain(
    "=?utf-8?B?!!!notb64?= =?x-bogus?Q?caf=E9?= [PATCH 1/1] qapi: =?utf-8?q?broken", "badew"
).encode()
files["encoding-8bit-headers-invalid-utf8.mbox"] = (
    plain(S, "8bithdr")
    .encode()
    .replace(
        b"Fuzz Tester <fuzz@example.org>\nTo", b"Fuzz \xff\xfe Tester <fuzz@example.org>\nTo", 1
    )
)


# --- mime ---
def nested(depth):
    parts = "qapi patch\n" + BODY
    for i in range(depth):
        b = f"b{i}"
        parts = f'Content-Type: multipart/mixed; boundary="{b}"\n\n--{b}\n{("Content-Type: text/plain; charset=utf-8" + chr(10) + chr(10)) if i == 0 else ""}{parts}\n--{b}--\n'
    return parts


files["mime-deeply-nested-multipart.mbox"] = (
    hdr(S, "nested", "MIME-Version: 1.0\n") + nested(300)
).encode()
files["mime-multipart-without-boundary.mbox"] = (
    hdr(S, "nobound", "MIME-Version: 1.0\nContent-Type: multipart/mixed\n") + "\n" + BODY
).encode()
files["mime-missing-closing-boundary.mbox"] = (
    hdr(S, "noclose", 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="zz"\n')
    + "\n--zz\nContent-Type: text/plain\n\n"
    + BODY
).encode()
files["mime-only-html-part.mbox"] = (
    hdr(S, "html", "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n")
    + "\n<html><body><pre>"
    + BODY
    + "</pre></body></html>\n"
).encode()
files["mime-patch-as-attachment-octet-stream.mbox"] = (
    hdr(S, "attach", 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="aa"\n')
    + '\n--aa\nContent-Type: text/plain\n\nsee attached\n--aa\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="../../etc/passwd"\nContent-Transfer-Encoding: base64\n\n'
    + base64.encodebytes(BODY.encode()).decode()
    + "--aa--\n"
).encode()
files["mime-message-rfc822-loop.mbox"] = (
    hdr(S, "rfc822", "MIME-Version: 1.0\nContent-Type: message/rfc822\n")
    + "\n"
    + ("Content-Type: message/rfc822\n\n" * 200)
    + BODY
).encode()

# --- headers ---
files["headers-subject-crlf-injection.mbox"] = plain(
    "[PATCH 1/1] qapi: add =?utf-8?q?x=0D=0ABcc:_victim@example.org=0D=0A=0D=0Ainjected?=", "inject"
).encode()
files["headers-subject-encoded-newline-to.mbox"] = plain(
    "=?utf-8?b?"
    + base64.b64encode(b"[PATCH 1/1] qapi: x\nTo: attacker@example.org\n\nbody").decode()
    + "?=",
    "inject2",
).encode()
files["headers-message-id-missing.mbox"] = (
    plain(S, "x").replace("Message-ID: <x@example.org>\n", "").encode()
)
files["headers-message-id-garbage.mbox"] = (
    plain(S, "x")
    .replace("Message-ID: <x@example.org>", 'Message-ID: <<<>>> "; DROP TABLE\x01')
    .encode()
)
files["headers-duplicate-message-ids.mbox"] = (
    plain("[PATCH 1/2] qapi: one", "dup")
    + plain("[PATCH 2/2] qapi: two", "dup", extra="In-Reply-To: <dup@example.org>\n")
).encode()
files["headers-reply-cycle.mbox"] = (
    plain(
        "[PATCH 1/2] qapi: one",
        "cyc1",
        extra="In-Reply-To: <cyc2@example.org>\nReferences: <cyc2@example.org>\n",
    )
    + plain(
        "[PATCH 2/2] qapi: two",
        "cyc2",
        extra="In-Reply-To: <cyc1@example.org>\nReferences: <cyc1@example.org>\n",
    )
).encode()
files["headers-self-reply.mbox"] = plain(
    S,
    "self",
    extra="In-Reply-To: <self@example.org>\nReferences: <self@example.org> <self@example.org>\n",
).encode()
# an undecodable byte in the Message-ID (found by the long fuzz profile:
# the id reached the JSON report as a lone surrogate)
files["headers-8bit-message-id.mbox"] = plain(S, "8bit-id").encode().replace(b"8bit-id@", b"8bit-id\xe3@")
files["headers-bad-date.mbox"] = (
    plain(S, "date")
    .replace("Mon, 5 Jan 2026 10:00:00 +0000", "Feb 31 99999 25:61:61 +9999")
    .encode()
)
files["headers-no-from.mbox"] = (
    plain(S, "nofrom").replace("From: Fuzz Tester <fuzz@example.org>\n", "").encode()
)
files["headers-counter-overflow.mbox"] = plain(
    "[PATCH v99999999999999999999 99999999999999999999/0] qapi: x", "bigcount"
).encode()
files["headers-counter-zero-total.mbox"] = plain("[PATCH 3/0] qapi: x", "zerototal").encode()
files["headers-folded-forever.mbox"] = (
    plain(S, "fold")
    .replace("Subject: " + S, "Subject: [PATCH 1/1]" + "\n " * 5000 + "qapi")
    .encode()
)


# --- diff ---
def patchmail(mid, diff, subject=S):
    return plain(
        subject,
        mid,
        body="qapi: something\n\nSigned-off-by: Fuzz Tester <fuzz@example.org>\n---\n"
        + diff
        + "-- \n2.43.0\n",
    )


files["diff-path-traversal.mbox"] = patchmail(
    "trav",
    "diff --git a/../../outside.txt b/../../outside.txt\nnew file mode 100644\n--- /dev/null\n+++ b/../../outside.txt\n@@ -0,0 +1 @@\n+pwned\n",
).encode()
files["diff-absolute-path.mbox"] = patchmail(
    "abs",
    "diff --git a//tmp/pwned b//tmp/pwned\nnew file mode 100644\n--- /dev/null\n+++ /tmp/pwned\n@@ -0,0 +1 @@\n+pwned\n",
).encode()
files["diff-git-dir-target.mbox"] = patchmail(
    "gitdir",
    "diff --git a/.git/config b/.git/config\nnew file mode 100644\n--- /dev/null\n+++ b/.git/config\n@@ -0,0 +1 @@\n+[core]\n",
).encode()
files["diff-hunk-counts-lie.mbox"] = patchmail(
    "counts",
    "diff --git a/qapi/migration.json b/qapi/migration.json\n--- a/qapi/migration.json\n+++ b/qapi/migration.json\n@@ -1,900 +1,3 @@\n # -*- Mode: Python -*-\n+x\n",
).encode()
files["diff-negative-and-huge-line-numbers.mbox"] = patchmail(
    "nums",
    "diff --git a/qapi/migration.json b/qapi/migration.json\n--- a/qapi/migration.json\n+++ b/qapi/migration.json\n@@ -99999999999999999999,1 +0,0 @@\n-x\n",
).encode()
files["diff-headers-without-hunks.mbox"] = patchmail(
    "nohunk",
    "diff --git a/qapi/migration.json b/qapi/migration.json\n--- a/qapi/migration.json\n+++ b/qapi/migration.json\n",
).encode()
files["diff-binary-patch-garbage.mbox"] = patchmail(
    "bin",
    "diff --git a/pc-bios/x.bin b/pc-bios/x.bin\nnew file mode 100644\nindex 0000000..1111111\nGIT binary patch\nliteral 12\nzcmZ?wbhEHbG&;!!!garbage\n\nliteral 0\nHcmV?d00001\n\n",
).encode()
files["diff-dev-null-both-sides.mbox"] = patchmail(
    "nullnull", "diff --git a/x b/x\n--- /dev/null\n+++ /dev/null\n@@ -0,0 +0,0 @@\n"
).encode()
files["diff-rename-to-outside.mbox"] = patchmail(
    "ren",
    "diff --git a/qapi/migration.json b/../migration.json\nsimilarity index 100%\nrename from qapi/migration.json\nrename to ../migration.json\n",
).encode()
files["diff-mode-only-symlink.mbox"] = patchmail(
    "symlink",
    "diff --git a/qapi/evil b/qapi/evil\nnew file mode 120000\n--- /dev/null\n+++ b/qapi/evil\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n",
).encode()
many_hunks = (
    "diff --git a/qapi/migration.json b/qapi/migration.json\n--- a/qapi/migration.json\n+++ b/qapi/migration.json\n"
    + "".join(f"@@ -{i},1 +{i},1 @@\n-x{i}\n+y{i}\n" for i in range(1, 2001))
)
files["diff-two-thousand-hunks.mbox"] = patchmail("hunks", many_hunks).encode()
many_files = "".join(
    f"diff --git a/f/{i}.c b/f/{i}.c\nnew file mode 100644\n--- /dev/null\n+++ b/f/{i}.c\n@@ -0,0 +1 @@\n+int x{i};\n"
    for i in range(1000)
)
files["diff-thousand-files.mbox"] = patchmail("files", many_files).encode()
files["diff-no-newline-marker-everywhere.mbox"] = patchmail(
    "nonl",
    "diff --git a/qapi/migration.json b/qapi/migration.json\n--- a/qapi/migration.json\n+++ b/qapi/migration.json\n\\ No newline at end of file\n@@ -1 +1 @@\n\\ No newline at end of file\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n",
).encode()
files["diff-combined-merge-diff.mbox"] = patchmail(
    "cc",
    "diff --cc qapi/migration.json\nindex 1111111,2222222..3333333\n--- a/qapi/migration.json\n+++ b/qapi/migration.json\n@@@ -1,3 -1,3 +1,4 @@@\n  # -*- Mode: Python -*-\n++#x\n",
).encode()

# --- series ---
files["series-counters-all-duplicate.mbox"] = b"".join(
    plain("[PATCH 1/3] qapi: same slot", f"slot{i}").encode() for i in range(5)
)
files["series-cover-only.mbox"] = plain(
    "[PATCH 0/3] qapi: cover with no patches", "coveronly", body="Just a cover letter.\n"
).encode()
files["series-mixed-versions-no-latest-complete.mbox"] = (
    plain("[PATCH v2 1/2] qapi: a", "v2a")
    + plain("[PATCH v3 2/2] qapi: b", "v3b")
    + plain("[PATCH v1 2/2] qapi: c", "v1b")
).encode()

for name, data in files.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(len(files), sum(len(d) for d in files.values()))
