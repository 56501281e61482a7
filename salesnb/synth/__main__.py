"""``python -m salesnb.synth``: generate the sample (see :func:`salesnb.synth.main`)."""

import sys

from salesnb.synth.cli import main

if __name__ == "__main__":
    sys.exit(main())
