"""Errors that name what went wrong; each carries the process exit code it maps to."""

from __future__ import annotations

__all__ = [
    "InputError",
    "LinkguardError",
    "SchemaError",
    "SnapshotInvalid",
    "SnapshotNotFound",
]


class LinkguardError(Exception):
    """Base of every error linkguard raises on purpose (exit code 1: runtime failure)."""

    exit_code = 1


class InputError(LinkguardError):
    """Bad usage or bad input: an unreadable file, a missing table (exit code 2)."""

    exit_code = 2


class SchemaError(InputError):
    """A table lacks a required column; the message names the file and the column."""


class SnapshotNotFound(LinkguardError):
    """No complete snapshot where one was expected."""

    exit_code = 2


class SnapshotInvalid(LinkguardError):
    """A snapshot directory exists but is incomplete or does not match the contract."""

    exit_code = 2
