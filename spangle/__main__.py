"""`python -m spangle` runs the `spangle` command."""

import sys

from spangle.cli import main

sys.exit(main())
