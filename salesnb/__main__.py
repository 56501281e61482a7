"""``python -m salesnb``: the same as the ``salesnb`` command."""

import sys

from salesnb.cli import main

if __name__ == "__main__":
    sys.exit(main())
