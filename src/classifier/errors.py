"""Specific exceptions with messages written for analysts, not programmers.

Each subclasses a built-in so callers that only know ``ValueError`` or ``OSError``
still catch them; the CLI turns every one into a one-line message and exit code 2.
"""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class for every error this package raises on purpose."""


class PolicyParseError(ClassifierError, ValueError):
    """The policy text is empty, binary, or has no recognisable item markers."""


class InputFileError(ClassifierError, ValueError):
    """An input file cannot be read (format, encoding, columns)."""


class ModelLoadError(ClassifierError, ValueError):
    """A saved model is missing, corrupt, or was made for other versions or another corpus."""


class LabelError(ClassifierError, ValueError):
    """A label does not exist in the policy it is used with."""


class WorkerError(ClassifierError, RuntimeError):
    """A worker process of ``--jobs`` could not start or stopped unexpectedly."""


class OutputFileError(ClassifierError, OSError):
    """An output cannot be written where asked (it would replace an input or a device, the
    folder is read-only, the disk is full, the encoding cannot hold a character)."""


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM); raised so partial outputs are removed.

    A ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception`` swallows it.
    """
