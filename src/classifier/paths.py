"""Every folder rule of the project, in one place.

The project folder holds ``corpus/`` (policy versions, labelled data, thesaurus) and
``models/`` (one folder per policy version)::

    corpus/<policy-id>/          a policy version (see :mod:`classifier.corpus`)
    corpus/<policy-id>/crosswalk_from_<old-id>.csv
    corpus/labelled/requests.csv the bundled labelled requests
    corpus/thesaurus.csv         the domain thesaurus
    models/<policy-id>/          a trained model and its card
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_POLICY = "r3"
# The package's own checkout: src/classifier/paths.py → the folder above src/.
_CHECKOUT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The folder holding ``corpus/`` and ``models/``: the working directory or the checkout."""
    cwd = Path.cwd()
    if (cwd / "corpus").is_dir():
        return cwd
    return _CHECKOUT if (_CHECKOUT / "corpus").is_dir() else cwd


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` that holds both ``corpus/`` and ``models/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "corpus").is_dir() and (folder / "models").is_dir():
            return folder
    raise FileNotFoundError(f"no folder with corpus/ and models/ at or above {here}")


def corpus_dir(policy_id: str, root: Path | None = None) -> Path:
    """``corpus/<policy-id>``."""
    return (root or project_root()) / "corpus" / policy_id


def model_dir(policy_id: str = DEFAULT_POLICY, root: Path | None = None) -> Path:
    """``models/<policy-id>``."""
    return (root or project_root()) / "models" / policy_id


def corpus_ref(ref: str, root: Path | None = None) -> Path:
    """A corpus folder given as a path (holding ``clauses.jsonl``) or as a policy id."""
    path = Path(ref)
    return path if (path / "clauses.jsonl").is_file() else corpus_dir(ref, root)


def labelled_requests(root: Path | None = None) -> Path:
    """The bundled labelled requests."""
    return (root or project_root()) / "corpus" / "labelled" / "requests.csv"


def thesaurus(root: Path | None = None) -> Path:
    """The domain thesaurus (policy-version independent)."""
    return (root or project_root()) / "corpus" / "thesaurus.csv"


def crosswalk(new_policy: str, old_policy: str, root: Path | None = None) -> Path:
    """The reviewed crosswalk that carries ``old_policy`` labels to ``new_policy``."""
    return corpus_dir(new_policy, root) / f"crosswalk_from_{old_policy}.csv"


def crosswalk_in(corpus: Path, old_policy: str) -> Path:
    """The crosswalk file inside a given corpus folder."""
    return corpus / f"crosswalk_from_{old_policy}.csv"


def portable_path(path: Path) -> str:
    """``path`` relative to the working directory (the project root) when it is inside it,
    so a model card means the same in every checkout."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
