"""`python -m nnstudio` behaves exactly like the `nnstudio` command."""

from nnstudio.cli import main

raise SystemExit(main())
