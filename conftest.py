"""Import salesnb before pytest collects its files for doctests.

With ``--import-mode=importlib``, collecting a file of ``salesnb/load/`` before
``salesnb`` itself is imported would bind the name ``salesnb.load`` to the package
rather than to the ``load`` function that ``salesnb/__init__.py`` re-exports (e.g.
``pytest salesnb/load/parse.py salesnb/kpi/market.py``). Importing the package first
keeps ``salesnb.load(...)`` the function in every selection of files.
"""

import salesnb  # noqa: F401
