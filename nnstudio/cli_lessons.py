"""The commands of the lessons: `nnstudio lesson list` and `nnstudio check`.

    nnstudio lesson list                       one line per shipped lesson: name, title, pages and tasks
    nnstudio check LESSON FILE.nnstudio        one line per task: pass, FAIL and what is wrong, or not shown

`check` grades a saved network as a teacher's script would: the checks a file can show are evaluated by
nnstudio/lessons/grading.py (accuracy recomputed from the weights, never read from run records); the phase
of the step-through and typed answers only the window can show, so they are listed as such and not counted.
Exit 0 when every counted task passes, 1 when one fails; a bad lesson or file is a refusal (2) like any other.
"""

from __future__ import annotations

import argparse
import json

from nnstudio.cli_messages import error_line, say
from nnstudio.core.errors import NNStudioError
from nnstudio.io.examples import load_file_or_example
from nnstudio.lessons.grading import FAIL, NOT_SHOWN, PASS, check_task
from nnstudio.lessons.shipped import list_lessons, load_lesson, load_lesson_or_path

EXIT_FAILED = 1
_LABELS = {PASS: "pass", FAIL: "FAIL", NOT_SHOWN: "not shown"}


def add_lesson_commands(sub: argparse._SubParsersAction) -> None:
    """The two commands' parsers, added to the `nnstudio` parser's sub-commands."""
    lesson = sub.add_parser("lesson", help="the shipped lessons")
    lesson.add_argument("action", choices=["list"], help="list: one line per lesson")
    check = sub.add_parser("check", help="check a saved network against a lesson's tasks (exit 0 all pass, 1 not)")
    check.add_argument("lesson", metavar="LESSON", help="a shipped lesson's name or a path to a lesson .md file")
    check.add_argument("network", metavar="FILE.nnstudio", help="the network to check (or a built-in example)")
    check.add_argument("--json", action="store_true", help='print a list of {"task", "status", "messages"}')


def run_lesson_list(args: argparse.Namespace) -> int:
    """`nnstudio lesson list`; a shipped lesson that cannot be read is named on stderr (exit 2), the rest listed."""
    refused = 0
    for name in list_lessons():
        try:
            lesson = load_lesson(name)
        except NNStudioError as error:
            error_line(f"nnstudio: error: {error}")
            refused += 1
            continue
        pages, tasks = len(lesson.pages), len(lesson.tasks)
        say(f"{lesson.name:16s} {lesson.title} ({pages} page{'s' if pages != 1 else ''}, "
            f"{tasks} task{'s' if tasks != 1 else ''})")
    return 2 if refused else 0


def run_check(args: argparse.Namespace) -> int:
    """`nnstudio check LESSON FILE`: one line per task; exit 0 when every counted task passes, 1 when one fails."""
    lesson = load_lesson_or_path(args.lesson)
    project = load_file_or_example(args.network)
    results = [(task, check_task(task, project)) for task in lesson.tasks]
    if args.json:
        print(json.dumps([{"task": task.id, "status": result.status, "messages": list(result.lines)}
                          for task, result in results]))
    else:
        for task, result in results:
            detail = task.title if result.status == PASS else "; ".join(result.lines)
            say(f"{_LABELS[result.status]}  {task.id}: {detail}")
    return EXIT_FAILED if any(result.status == FAIL for _, result in results) else 0
