"""Every folder rule of the project, in one place.

The project folder holds ``corpus/`` (policy versions, labelled data, thesaurus) and
``models/`` (one folder per policy version)::

    corpus/<policy-id>/          a policy version (see :mod:`classifier.corpus`)
    corpus/<policy-id>/crosswalk_from_<old-id>.csv
    corpus/labelled/requests.csv the bundled labelled requests
    corpus/labelled/rs2024_dev.csv  annotated review-sheet programmes
    corpus/rs2024/               the review-sheet download (development half), as shipped
    corpus/thesaurus.csv         the domain thesaurus
    models/<policy-id>/          a trained model and its card
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_POLICY = "r3"
# The policy the bundled labelled files (corpus/labelled/) are labelled against.
BUNDLED_LABELS_POLICY = "r3"
HOME_VARIABLE = "CLASSIFIER_HOME"
# The package's own checkout: src/classifier/paths.py → the folder above src/.
_CHECKOUT = Path(__file__).resolve().parents[2]
# A policy id names folders (corpus/<id>, models/<id>): letters, digits, _ . - only, no "..".
_POLICY_ID = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def is_policy_id(value: object) -> bool:
    """Whether ``value`` can be a policy id (``r3``, ``r4_draft``): a folder name, never a path."""
    # (NONE is the out-of-scope label, never a policy's name.)
    return isinstance(value, str) and bool(_POLICY_ID.match(value)) and value.upper() != "NONE"


def model_folder(value: object) -> Path:
    """``value`` as a model folder's path; a clear TypeError for what cannot be one (None,
    a number, a model object passed where its folder was meant)."""
    if not isinstance(value, str | os.PathLike):
        raise TypeError(
            f"a model folder is a path (str or Path), not {type(value).__name__}: "
            'load_model(Path("models/r3"))'
        )
    return Path(value)


def project_root() -> Path:
    """The folder holding ``corpus/`` and ``models/``: ``$CLASSIFIER_HOME`` if set, else the
    checkout the package runs from.

    Never the working directory: a folder received from someone else (with its own
    ``corpus/`` and ``models/``) must not change which model a command loads.
    """
    home = os.environ.get(HOME_VARIABLE)
    return Path(home).resolve() if home else _CHECKOUT


def corpus_root(root: Path | None = None) -> Path:
    """``corpus/``: one folder per policy version, plus the labelled data."""
    return (root or project_root()) / "corpus"


def corpus_dir(policy_id: str, root: Path | None = None) -> Path:
    """``corpus/<policy-id>``."""
    return corpus_root(root) / policy_id


def built_policies(corpus: Path | None = None) -> list[str]:
    """The policy ids built under ``corpus`` (default ``corpus/``): the folders holding
    ``clauses.jsonl``, sorted."""
    return sorted(p.parent.name for p in (corpus or corpus_root()).glob("*/clauses.jsonl"))


def policies_text(corpus: Path | None = None) -> str:
    """'the policies built are r3, r4' (or that none is), for a message naming an unknown
    policy id."""
    known = built_policies(corpus)
    if not known:
        return "no policy is built yet (see scripts/build_corpus.py)"
    if len(known) == 1:
        return f"the only policy built is {known[0]}"
    return f"the policies built are {', '.join(known)}"


def model_dir(policy_id: str = DEFAULT_POLICY, root: Path | None = None) -> Path:
    """``models/<policy-id>``."""
    return (root or project_root()) / "models" / policy_id


def model_ref(ref: str | Path, root: Path | None = None) -> Path:
    """A model folder given as a policy id (``r4`` → ``models/r4``, when built) or a path.

    A bare id is the project's model even when the working folder holds a folder of that
    name (a model received by mail, unzipped as ``r3/``): ``./r3`` names that one.
    """
    text = str(ref)
    if isinstance(ref, str) and is_policy_id(text):
        by_id = model_dir(text, root)
        if by_id.is_dir():
            return by_id
    return Path(ref)


def corpus_ref(ref: str, root: Path | None = None) -> Path:
    """A corpus folder given as a path (holding ``clauses.jsonl``) or as a policy id; what
    cannot be a policy id (``out/r4``, ``../x``) is a path, as given."""
    path = Path(ref)
    if (path / "clauses.jsonl").is_file() or not is_policy_id(ref):
        return path
    return corpus_dir(ref, root)


def labelled_requests(root: Path | None = None) -> Path:
    """The bundled labelled requests."""
    return corpus_root(root) / "labelled" / "requests.csv"


def labelled_review_sheets(root: Path | None = None) -> Path:
    """The annotated review-sheet programmes (RS 2024, development half)."""
    return corpus_root(root) / "labelled" / "rs2024_dev.csv"


def review_sheet_texts(root: Path | None = None) -> Path:
    """The RS 2024 1-2 download (development half), as shipped."""
    return corpus_root(root) / "rs2024" / "1-2_RS_2024_基本情報_事業概要等.zip"


def thesaurus(root: Path | None = None) -> Path:
    """The domain thesaurus (policy-version independent)."""
    return corpus_root(root) / "thesaurus.csv"


def crosswalk(new_policy: str, old_policy: str, root: Path | None = None) -> Path:
    """The reviewed crosswalk that carries ``old_policy`` labels to ``new_policy``."""
    return crosswalk_in(corpus_dir(new_policy, root), old_policy)


def crosswalk_in(corpus: Path, old_policy: str) -> Path:
    """The crosswalk file inside a given corpus folder."""
    return corpus / f"crosswalk_from_{old_policy}.csv"


def portable_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to the project root when it is inside it, so a model card means
    the same in every checkout."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to((root or project_root()).resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
