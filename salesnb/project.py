"""A report project of one's own: ``salesnb init DIR``.

Copies the bundled report notebooks and the starter mapping into a folder the user
owns, so the notebooks can be changed and versioned with the team's own work, and
``salesnb report --notebooks DIR/notebooks`` renders the pack from them. Nothing in an
existing folder is deleted; a file that is already there is left alone unless
``force=True``, which replaces only the files salesnb ships under the same names.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from salesnb.errors import SalesnbError
from salesnb.resources import NOTEBOOKS_DIR, STARTER_MAPPING

__all__ = ["init_project", "ProjectExistsError"]

log = logging.getLogger(__name__)


class ProjectExistsError(SalesnbError):
    """Files that ``salesnb init`` would write already exist in the target folder."""


def _planned(directory: Path) -> list[tuple[Path, Path]]:
    """(source, target) pairs of everything ``init_project`` writes."""
    pairs = [
        (nb, directory / "notebooks" / nb.name) for nb in sorted(NOTEBOOKS_DIR.glob("[0-9]*.ipynb"))
    ]
    pairs.append((STARTER_MAPPING, directory / "mappings" / STARTER_MAPPING.name))
    return pairs


def init_project(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the report notebooks and the starter mapping into ``directory``.

    Writes ``<directory>/notebooks/NN_*.ipynb`` (the notebooks ``salesnb report``
    runs, without outputs) and ``<directory>/mappings/starter.toml`` (a commented
    mapping of a CRM deals export, see ``docs/mappings.md``). Folders are created as
    needed; nothing else in ``directory`` is touched.

    Parameters
    ----------
    directory
        The project folder; it may exist already.
    force
        Replace files of the same names that are already there (only those).

    Returns
    -------
    list of Path
        The files written, in order.

    Raises
    ------
    ProjectExistsError
        Some target files exist and ``force`` is false; the message lists them and
        nothing is written.
    SalesnbError
        ``directory`` exists but is not a folder.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = init_project(Path(tmp) / "team-reports")
    ...     sorted({p.parent.name for p in written})
    ['mappings', 'notebooks']
    """
    directory = Path(directory).expanduser()
    if directory.exists() and not directory.is_dir():
        raise SalesnbError(f"{directory} exists and is not a folder")
    pairs = _planned(directory)
    if not force:
        existing = [str(target) for _, target in pairs if target.exists()]
        if existing:
            raise ProjectExistsError(
                f"{len(existing)} file(s) already exist, nothing was written: "
                + ", ".join(existing)
                + " (move them away, or pass --force to replace these files)"
            )
    written = []
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
        log.info("wrote %s", target)
    return written
