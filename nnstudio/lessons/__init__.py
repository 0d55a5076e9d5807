"""Lessons: Markdown pages with tasks, and the Qt-free checks that grade a network against them (issue 32).

lesson_file.py reads a lesson (docs/lessons.md is its format), check_types.py its fixed vocabulary of checks,
grading.py evaluates them against a Project, shipped.py finds the lessons in resources/lessons/. The window's
lessons panel and `nnstudio check` (nnstudio/cli_lessons.py) both grade through grading.check_task.
"""
