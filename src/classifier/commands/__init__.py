"""One typed function per command; the CLI (:mod:`classifier.cli`) only parses arguments.

Each command prints what an analyst needs to see and returns the exit code; errors are
raised as :class:`~classifier.errors.ClassifierError` subclasses and mapped by the CLI.
Submodules are imported by whoever needs them (not here), so starting one command does
not load what another needs (``revise`` needs scikit-learn, ``classify`` must not).
"""
