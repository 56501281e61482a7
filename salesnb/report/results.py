"""What building a report pack returns or raises: one result per notebook, one per pack."""

from __future__ import annotations

import dataclasses
from pathlib import Path

__all__ = ["NotebookResult", "ReportResult", "ReportError"]


class ReportError(Exception):
    """The report cannot be built as asked (bad option, no notebooks, ...)."""


@dataclasses.dataclass
class NotebookResult:
    """Outcome of executing and rendering one notebook.

    ``status`` is ``"failed"`` when it raised, ``"no data"`` when it ran but
    every section it shows is unavailable (``no_data``), else ``"ok"``.
    ``title`` is the page's title (its notebook's first ``# `` heading), which
    the index lists; :attr:`label` falls back to the name.
    """

    name: str
    ok: bool
    seconds: float
    executed: str = ""
    html: str = ""
    error: dict | None = None
    no_data: bool = False
    title: str = ""

    @property
    def label(self) -> str:
        """What the index calls the page: its title, else its name."""
        return self.title or self.name

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        return "no data" if self.no_data else "ok"


@dataclasses.dataclass
class ReportResult:
    """What :func:`salesnb.report.run_report` produced."""

    quarter: str
    out_dir: Path
    index: Path
    notebooks: list[NotebookResult]
    seconds: float
    metadata: dict

    @property
    def ok(self) -> bool:
        return all(nb.ok for nb in self.notebooks)

    @property
    def failed(self) -> list[str]:
        return [nb.name for nb in self.notebooks if not nb.ok]
