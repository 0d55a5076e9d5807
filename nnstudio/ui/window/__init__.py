"""The main window, one room per job: `main_window.py` assembles the canvas, the docks, the menus and the
toolbar; `actions.py` declares every action and `menus.py` places them; each other module holds the
handlers of one job (files, exports, layer edits, viewing, stepping, training, help and settings) and
the status line they all tell through.
"""
