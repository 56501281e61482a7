"""Where the bundled report notebooks, sample data and mapping presets live.

They have one source: the top-level ``notebooks/`` and ``data/`` folders of the
project. A checkout (or an editable install) reads them there. The wheel carries the
same files inside the package, under ``salesnb/_resources/`` with the same layout
(``pyproject.toml``, ``[tool.hatch.build.targets.wheel]``), so an installed salesnb
renders a pack and loads the sample without a checkout.

>>> (NOTEBOOKS_DIR / "00_executive_summary.ipynb").is_file()
True
>>> (SAMPLE_DATA / "orders.csv").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["RESOURCE_ROOT", "NOTEBOOKS_DIR", "SAMPLE_DATA", "MAPPINGS_DIR", "STARTER_MAPPING"]

_PACKAGE = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE / "_resources"

#: The folder holding ``notebooks/`` and ``data/``: inside the installed package, or the
#: project checkout that holds this package.
RESOURCE_ROOT = _INSTALLED if _INSTALLED.is_dir() else _PACKAGE.parent
#: The report notebooks (``salesnb report`` runs every ``NN_*.ipynb`` in it).
NOTEBOOKS_DIR = RESOURCE_ROOT / "notebooks"
#: The bundled synthetic sample company (``make data`` regenerates it).
SAMPLE_DATA = RESOURCE_ROOT / "data" / "sample"
#: Mapping files for known exports, and the starter mapping ``salesnb init`` copies.
MAPPINGS_DIR = RESOURCE_ROOT / "data" / "mappings"
#: A commented mapping of a CRM deals export to start a mapping of one's own from.
STARTER_MAPPING = MAPPINGS_DIR / "starter.toml"
