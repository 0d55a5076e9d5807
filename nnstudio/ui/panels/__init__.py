"""Dock panels and dialogs, grouped by what they serve: `network`, `training`, `results`, `help`.

Each talks to the document only. The two modules at this level are shared by all groups: the
layout every dock starts from and the line edit for a typed expression.
"""
