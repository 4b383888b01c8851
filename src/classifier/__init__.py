"""Classify Japanese budget requests against the cybersecurity budget-priority policy."""

from .errors import ClassifierError, InputFileError, LabelError, ModelLoadError, PolicyParseError
from .policy import Artefact, Clause, Policy, SummaryEntry, parse_policy

__all__ = [
    "Artefact",
    "ClassifierError",
    "Clause",
    "InputFileError",
    "LabelError",
    "ModelLoadError",
    "Policy",
    "PolicyParseError",
    "SummaryEntry",
    "parse_policy",
]
