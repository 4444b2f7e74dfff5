"""`python -m simtui` is the same program as the `simtui` command."""

import sys

from simtui.cli import main

sys.exit(main())
