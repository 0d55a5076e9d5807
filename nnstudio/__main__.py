"""`python -m nnstudio` behaves exactly like the `nnstudio` command."""

from nnstudio.launch import main

# Guarded: the window's training process (spawned) imports the main module again, and must not
# start a second window.
if __name__ == "__main__":
    raise SystemExit(main())
