"""Building blocks for report notebooks: notes, formatted tables, narrative text."""

from salesnb.sections.format import *  # noqa: F403
from salesnb.sections.format import CONVERSION_WINDOW_DAYS, __all__  # noqa: F401
