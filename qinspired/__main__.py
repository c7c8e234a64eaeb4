"""Allow ``python -m qinspired``, the same as the ``qinspired`` command."""

from qinspired.cli import main

raise SystemExit(main())
