"""``python -m jreg`` runs the ``jreg`` command line."""

import sys

from jreg.cli import main

sys.exit(main())
