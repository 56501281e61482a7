"""Every public name that salesnb has exported keeps importing from the same path.

``tests/data/public_api.json`` lists, per module, the names in its ``__all__`` when
the package was split into one-job modules. Moving code must keep each of them
importable from that module and listed in its ``__all__`` (so ``from m import *``
keeps working too). New names may be added freely; a name may leave this file only
by a deliberate, documented API change.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

API = json.loads((Path(__file__).resolve().parent / "data" / "public_api.json").read_text())


@pytest.mark.parametrize("module", sorted(API))
def test_public_names_import_from_their_module(module):
    mod = importlib.import_module(module)
    missing = [name for name in API[module] if not hasattr(mod, name)]
    assert not missing, f"{module} no longer provides {missing}"
    unlisted = [name for name in API[module] if name not in getattr(mod, "__all__", ())]
    assert not unlisted, f"{module}.__all__ no longer lists {unlisted}"
