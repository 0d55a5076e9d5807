"""`python -m nnstudio` behaves exactly like the `nnstudio` command."""

from nnstudio.launch import main

raise SystemExit(main())
