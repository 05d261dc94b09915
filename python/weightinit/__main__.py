"""``python -m weightinit``: the same command line as the ``weightinit`` script."""

import sys

from ._cli import main

sys.exit(main())
