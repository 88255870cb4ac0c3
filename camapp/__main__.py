"""Entry point for ``python -m camapp``."""

from camapp.cli import main

raise SystemExit(main())
