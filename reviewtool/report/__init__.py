"""Renderers: one function per output format, all reading the same Report.

``RENDERERS`` maps a ``--format`` name to ``render(report) -> str``; the
email renderer returns None when there is nothing to say. Options beyond the
Report (text colour, ``--clean-mail``) are keywords of each module's own
render function, which the CLI calls directly.
"""

from __future__ import annotations

from collections.abc import Callable

from reviewtool.report.json_format import render_json
from reviewtool.report.model import Report

Renderer = Callable[[Report], "str | None"]


def _render_text(report: Report) -> str:
    # rich is the heaviest import of a run; only text output pays for it
    from reviewtool.report.terminal import render_text

    return render_text(report)


# The other formats are imported on first use too: a run renders one format,
# and start-up time is part of every `review check` (mail_reply pulls in the
# email package's header registry).
def render_sarif(report: Report) -> str:
    """``report`` as SARIF 2.1.0 (``report.sarif.render_sarif``)."""
    from reviewtool.report.sarif import render_sarif as render

    return render(report)


def render_markdown(report: Report) -> str:
    """``report`` as a merge-request comment (``report.markdown.render_markdown``)."""
    from reviewtool.report.markdown import render_markdown as render

    return render(report)


def render_email(report: Report, *, clean_mail: bool = False) -> str | None:
    """``report`` as reply mail (``report.mail_reply.render_email``)."""
    from reviewtool.report.mail_reply import render_email as render

    return render(report, clean_mail=clean_mail)


RENDERERS: dict[str, Renderer] = {
    "text": _render_text,
    "json": render_json,
    "sarif": render_sarif,
    "markdown": render_markdown,
    "email": render_email,  # one reply, or an mbox of several; None when nothing found
}


def render(
    report: Report,
    output_format: str,
    *,
    color: bool = False,
    width: int = 100,
    clean_mail: bool = False,
) -> str | None:
    """``report`` in ``output_format`` (a ``RENDERERS`` name), given the
    options only some formats take: ``color`` and ``width`` (text),
    ``clean_mail`` (email)."""
    if output_format == "text":
        from reviewtool.report.terminal import render_text

        return render_text(report, color=color, width=width)
    if output_format == "email":
        return render_email(report, clean_mail=clean_mail)
    return RENDERERS[output_format](report)


__all__ = ["RENDERERS", "Renderer", "Report", "render"]
