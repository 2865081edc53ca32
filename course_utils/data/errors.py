"""Errors of the data layer. Each message says what is wrong and what to do."""

from __future__ import annotations


class DatasetError(RuntimeError):
    """Base class: something about a dataset cannot be used as it is."""


class DownloadError(DatasetError):
    """A file could not be downloaded or copied from the mirror."""


class SourceUnreachableError(DownloadError):
    """A file's source cannot be reached: offline, refused by the server, or not in the mirror.

    Unlike a :class:`ChecksumError` or an interrupted download, nothing was received
    that could be wrong: the file is simply not available from where it was asked
    for. Only this error lets a reader fall back to another copy of a dataset.
    """


class ChecksumError(DownloadError):
    """A downloaded file does not match its registered checksum."""


class UnsafeArchiveError(DatasetError):
    """An archive member would land outside the extraction folder."""


class DataValidationError(DatasetError, ValueError):
    """An image or mask does not have the shape, type or labels the course expects."""
