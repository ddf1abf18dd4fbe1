"""``python -m app``: the same as the ``traindoc`` command."""

import sys

from app.cli import main

sys.exit(main())
