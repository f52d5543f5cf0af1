"""Errors that stop a review run.

Problems in the series under review are never raised; they become facts
recorded by a stage and, through the checks, findings.

* ReviewError            exit 2 (the one-line message names file and position)
  + InputError           cannot read the mail, the tree or the git revision
  + UsageError           a bad option combination, an unknown check code

Inside-stage errors, caught at the stage's entry point and returned as values:

* DiffError              a diff that unidiff cannot parse (diff.py)
* SchemaError            a QAPI schema syntax or semantic error (qapi/)

Anything else escaping ``cli.main()`` is a bug: exit 3.
"""

from __future__ import annotations


class ReviewError(Exception):
    """A problem that stops the run; ``str()`` is the one-line message."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, position: str | None = None):
        self.message = message
        self.path = path
        self.position = position
        super().__init__(self.render())

    def render(self) -> str:
        """``path: position: message`` with the parts that are known."""
        where = ":".join(p for p in (self.path, self.position) if p)
        return f"{where}: {self.message}" if where else self.message


class InputError(ReviewError):
    """The mail input, the tree or the git revision cannot be read."""


class UsageError(ReviewError):
    """The options do not make sense together, or name something unknown."""


class DiffError(Exception):
    """A diff cannot be parsed; carries where (``path``, ``line``) when known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(message)


class SchemaError(Exception):
    """A QAPI schema error at ``path:line`` (the QAPI stage catches it)."""

    def __init__(self, message: str, *, path: str, line: int, column: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(f"{path}:{line}: {message}")
