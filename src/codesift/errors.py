"""One error family: every mistake a user can fix is a `CodesiftError` with a one-line message.

The CLI catches only this family (exit code 2) and the service maps it to a JSON error, so a new
failure mode becomes user-facing by subclassing, never by widening an ``except`` somewhere.
"""

from __future__ import annotations


class CodesiftError(Exception):
    """A problem the user can fix; ``str(e)`` is one line naming the problem and the fix."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class UsageError(CodesiftError):
    """A command-line flag or request field with a value codesift cannot use."""


class StoreError(CodesiftError):
    """The run store cannot be opened, read or written (permissions, disk full, newer schema, corrupt file)."""
