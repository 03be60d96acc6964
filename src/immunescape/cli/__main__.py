"""``python -m immunescape.cli``: the command line."""

import sys

from immunescape.cli import main

sys.exit(main())
