"""Where a learner's working network of each lesson is kept between sessions, and keeping it there.

Issue 32: "resuming restores the page and the learner's working network (kept in the user's data folder)".
The settings hold which page (small values); the networks are `.nnstudio` files in the platform's user data
folder, one for each page of a lesson that starts a network (so Back to an earlier page finds its work again), saved as any network is (atomic: a half-written copy never replaces a good one)
and read back through the same checks as any file a person opens. A copy that no longer opens is not an
error worth stopping a lesson for: the page's own network is used instead, and the panel says why.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.io import load_project, save_project


def data_root() -> Path:
    """The platform's user data folder for nnstudio (beside crash_log.cache_root, which holds what may be lost)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "nnstudio"


def lesson_folder(lesson: str) -> Path:
    """The folder of `lesson`'s working networks (a lesson's name is lower-case letters, digits and '-')."""
    return data_root() / "lessons" / lesson


def working_path(lesson: str, page: int) -> Path:
    """The file of the network the learner works on from page `page` (counted from 0) of `lesson`."""
    return lesson_folder(lesson) / f"page-{page + 1}.nnstudio"


def save_working(lesson: str, page: int, project: Project) -> None:
    """Keep `project` as the working network of `lesson`'s page `page`. Raises OSError or NNStudioError."""
    path = working_path(lesson, page)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_project(project, path)


def load_working(lesson: str, page: int) -> tuple[Project | None, str]:
    """The working network of `lesson`'s page `page`, or (None, why not): "" when there is none, else what is
    wrong with it."""
    path = working_path(lesson, page)
    if not path.is_file():
        return None, ""
    try:
        return load_project(path), ""
    except (NNStudioError, OSError) as error:
        return None, f"your saved network for this lesson could not be read ({error}); the page's network is used"


def forget_working(lesson: str) -> None:
    """Remove `lesson`'s working networks (Start over), leaving anything else in its folder alone."""
    folder = lesson_folder(lesson)
    for path in folder.glob("page-*.nnstudio") if folder.is_dir() else ():
        path.unlink(missing_ok=True)
