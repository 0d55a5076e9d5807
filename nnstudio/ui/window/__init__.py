"""The main window, one room per job: `main_window.py` assembles the canvas, the docks, the menus and the
toolbar; `actions.py` makes the actions and `menus.py` places them; each other module owns the actions of
one job, their specs (`ACTIONS`) and handlers (files, exports, layer edits, viewing, stepping, training,
help and settings), or the status line they all tell through.
"""
