"""A lesson file: front matter, then Markdown pages, each with at most one ```network and one ```task block.

    ---
    name: cosine-memory
    title: Three memories in a 2-3-1 network
    ---
    # First page title
    Text of the page.
    ```network
    {"example": "cosine-memory"}
    ```
    ```task
    {"id": "b1", "title": "…", "checks": [{"check": "bias", "layer": 1, "value": -0.7071067812}]}
    ```

docs/lessons.md is the teacher's description. Why this shape: a lesson is prose with a little data in it, so it
is Markdown a person can read and diff, and the data is JSON in fenced blocks (no new dependency, no code).
The whole file is checked before anything is used: the budgets (MAX_FILE, MAX_PAGES, …) before parsing, then
every field, each refusal a LessonFileError naming the field (`pages[2].task.checks[0].tolerance`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nnstudio.core.activations import get_activation
from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project, parse_sizes
from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.init import get_initialiser
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.io.bounded_json import JsonBudget, read_json
from nnstudio.io.examples import list_examples, load_example
from nnstudio.lessons.check_types import AnswerCheck, Check, answer_name, parse_check
from nnstudio.lessons.fields import MAX_NOTE, LessonFileError, exact_keys, shown, text, whole

#: Budgets of one lesson file, checked before (file size) or while (the rest) it is read.
MAX_FILE = 256 * 1024
MAX_PAGES = 40
MAX_CHECKS = 20
MAX_HINTS = 10
MAX_PAGE_TEXT = 20_000
NAME = re.compile(r"[a-z0-9-]{1,60}")
TASK_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")
SPECIAL = ("network", "task")
_FRONT_KEY = re.compile(r"([a-z_]+):(.*)")
_BLOCK_BUDGET = JsonBudget(32 * 2**20, "32 MiB", 100_000, 10_000)
SUFFIX = ".md"


@dataclass(frozen=True)
class NetworkStart:
    """The network a page starts from: a built-in example, a new network (as `nnstudio new` builds it), or an
    input column of `empty` inputs and no layers."""

    example: str | None = None
    sizes: tuple[int, ...] | None = None
    hidden: str = "relu"
    output: str = "softmax"
    init: str = "he"
    empty: int | None = None


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    checks: tuple[Check, ...]
    hints: tuple[str, ...] = ()
    explain: str = ""


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    network: NetworkStart | None = None
    task: Task | None = None


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    pages: tuple[Page, ...]

    @property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(page.task for page in self.pages if page.task is not None)

    def network_page(self, index: int) -> int | None:
        """The page whose network page `index` works on: itself or the nearest earlier page with a network
        block (None: the lesson works on whatever network is open)."""
        return next((i for i in range(index, -1, -1) if self.pages[i].network is not None), None)


def start_project(start: NetworkStart) -> Project:
    """The unsaved network a page opens (checked when the file was read, so this does not refuse)."""
    if start.example is not None:
        return load_example(start.example)
    if start.empty is not None:
        return Project(Network(start.empty, ()))
    return build_project(Blueprint.simple(list(start.sizes or ()), start.hidden, start.output, init=start.init))


def parse_lesson(data: bytes, source: str = "", expected_name: str | None = None) -> Lesson:
    """The lesson in `data`, or LessonFileError naming the field (and `source`, the file's name, when given).
    `expected_name`: the file's name without .md, which the front matter's name must match."""
    try:
        return _parse(data, expected_name)
    except LessonFileError as error:
        raise LessonFileError(error.field, error.reason, source) from None


def _parse(data: bytes, expected_name: str | None) -> Lesson:
    if len(data) > MAX_FILE:
        raise LessonFileError("file", f"is {len(data):,} bytes; a lesson may be at most {MAX_FILE:,}")
    try:
        content = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as failure:
        raise LessonFileError("file", f"not valid UTF-8 text (byte {failure.start})") from None
    lines = content.replace("\r\n", "\n").split("\n")
    name, title, first = _front_matter(lines)
    if expected_name is not None and name != expected_name:
        raise LessonFileError("front matter: name", f"is {name!r} but the file is called {expected_name}{SUFFIX}")
    pages = _pages(lines, first)
    ids = [page.task.id for page in pages if page.task is not None]
    for index, page in enumerate(pages):
        if page.task is not None and ids.count(page.task.id) > 1:
            raise LessonFileError(f"pages[{index}].task.id", f"{page.task.id!r} is the id of another task too")
    return Lesson(name, title, tuple(pages))


def _front_matter(lines: list[str]) -> tuple[str, str, int]:
    """(name, title, the line after the front matter)."""
    if lines[0].strip() != "---":
        raise LessonFileError("front matter", "the file must begin with a line '---', then name: and title:")
    found: dict[str, str] = {}
    for number, line in enumerate(lines[1:22], start=1):
        if line.strip() == "---":
            for key in ("name", "title"):
                if key not in found:
                    raise LessonFileError(f"front matter: {key}", "is missing")
            name = found["name"]
            if not NAME.fullmatch(name):
                raise LessonFileError("front matter: name", f"expected lower-case letters, digits and '-' "
                                                            f"(at most 60), got {shown(name)}")
            return name, text(found["title"], "front matter: title"), number + 1
        if not line.strip():
            continue
        match = _FRONT_KEY.fullmatch(line.strip())
        if not match or match.group(1) not in ("name", "title"):
            raise LessonFileError("front matter", f"line {number + 1}: expected 'name: …' or 'title: …', "
                                                  f"got {shown(shorten(line, 30))}")
        if match.group(1) in found:
            raise LessonFileError(f"front matter: {match.group(1)}", "is given twice")
        found[match.group(1)] = match.group(2).strip()
    raise LessonFileError("front matter", "no closing '---' within its first 20 lines")


@dataclass
class _Draft:
    title: str
    text: list[str]
    blocks: dict[str, str]


def _pages(lines: list[str], first: int) -> list[Page]:
    drafts: list[_Draft] = []
    fence: tuple[str, int, list[str]] | None = None  # (language, its line, the lines inside)
    for number, line in enumerate(lines[first:], start=first + 1):
        where = f"pages[{len(drafts) - 1}]"
        if fence is not None:
            if line.strip() != "```":
                fence[2].append(line)
                continue
            language, start, inside = fence
            fence = None
            if language in SPECIAL:
                if language in drafts[-1].blocks:
                    raise LessonFileError(f"{where}.{language}", f"a second ```{language} block (line {start}); "
                                                                 f"a page holds at most one")
                drafts[-1].blocks[language] = "\n".join(inside)
            else:
                drafts[-1].text += [f"```{language}", *inside, line]
        elif line.startswith("```"):
            fence = (line[3:].strip(), number, [])
            if not drafts:
                raise LessonFileError("pages", f"line {number}: a block before the first page heading '# '")
        elif line.startswith("# "):
            if len(drafts) == MAX_PAGES:
                raise LessonFileError("pages", f"more than {MAX_PAGES} pages; a lesson may hold at most {MAX_PAGES}")
            drafts.append(_Draft(text(line[2:].strip(), f"pages[{len(drafts)}].title"), [], {}))
        elif drafts:
            drafts[-1].text.append(line)
        elif line.strip():
            raise LessonFileError("pages", f"line {number}: text before the first page heading '# '")
    if fence is not None:
        raise LessonFileError(f"pages[{len(drafts) - 1}]", f"the block opened at line {fence[1]} is never closed")
    if not drafts:
        raise LessonFileError("pages", "the lesson has no page; each page begins with a heading line '# Title'")
    return [_page(draft, f"pages[{index}]") for index, draft in enumerate(drafts)]


def _page(draft: _Draft, where: str) -> Page:
    body = text("\n".join(draft.text).strip("\n"), f"{where}.text", MAX_PAGE_TEXT, empty=True)
    network = draft.blocks.get("network")
    task = draft.blocks.get("task")
    return Page(draft.title, body,
                None if network is None else _network(_json(network, f"{where}.network"), f"{where}.network"),
                None if task is None else _task(_json(task, f"{where}.task"), f"{where}.task"))


def _json(block: str, field: str) -> Any:
    """A block's JSON, through the project's bounded reader (no NaN, no Infinity, nesting and size bounded)."""
    try:
        raw = block.encode("utf-8")
    except UnicodeEncodeError:
        raise LessonFileError(field, "holds a lone surrogate (half of a character)") from None
    return read_json([raw], _BLOCK_BUDGET, lambda message: LessonFileError(field, message))


def _network(data: Any, field: str) -> NetworkStart:
    if isinstance(data, dict) and "example" in data:
        exact_keys(data, field, ("example",))
        name = data["example"]
        if not isinstance(name, str) or name not in list_examples():
            raise LessonFileError(f"{field}.example", f"expected one of: {', '.join(list_examples())}; "
                                                      f"got {shown(name)}")
        return NetworkStart(example=name)
    if isinstance(data, dict) and "empty" in data:
        exact_keys(data, field, ("empty",))
        return NetworkStart(empty=whole(data["empty"], f"{field}.empty"))
    exact_keys(data, field, ("sizes",), ("hidden", "output", "init"))
    chosen = {key: text(data[key], f"{field}.{key}", 40) for key in ("hidden", "output", "init") if key in data}
    for key, name in chosen.items():
        try:
            (get_initialiser if key == "init" else get_activation)(name)
        except NNStudioError as error:
            raise LessonFileError(f"{field}.{key}", str(error)) from None
    try:
        start = NetworkStart(sizes=tuple(parse_sizes(text(data["sizes"], f"{field}.sizes", 400))), **chosen)
        Blueprint.simple(list(start.sizes or ()), start.hidden, start.output, init=start.init).check()
    except BlueprintError as error:
        raise LessonFileError(f"{field}.sizes", str(error)) from None
    return start


def _task(data: Any, field: str) -> Task:
    exact_keys(data, field, ("id", "title", "checks"), ("hints", "explain"))
    task_id = data["id"]
    if not isinstance(task_id, str) or not TASK_ID.fullmatch(task_id):
        raise LessonFileError(f"{field}.id", f"expected letters, digits, '_', '.' or '-' (at most 40), "
                                             f"got {shown(task_id)}")
    checks = data["checks"]
    if not isinstance(checks, list) or not 0 < len(checks) <= MAX_CHECKS:
        count = f"{len(checks)} checks" if isinstance(checks, list) else shown(checks)
        raise LessonFileError(f"{field}.checks", f"expected a list of 1 to {MAX_CHECKS} checks, got {count}")
    parsed = tuple(parse_check(check, f"{field}.checks[{index}]") for index, check in enumerate(checks))
    asked = [answer_name(check) for check in parsed if isinstance(check, AnswerCheck)]
    for index, check in enumerate(parsed):
        if isinstance(check, AnswerCheck) and asked.count(answer_name(check)) > 1:
            raise LessonFileError(f"{field}.checks[{index}]", f"asks for {answer_name(check)} a second time; "
                                                              f"each answer field of a task has its own quantity")
    hints = data.get("hints", [])
    if not isinstance(hints, list) or len(hints) > MAX_HINTS:
        raise LessonFileError(f"{field}.hints", f"expected a list of at most {MAX_HINTS} texts, got {shown(hints)}")
    return Task(task_id, text(data["title"], f"{field}.title"), parsed,
                tuple(text(hint, f"{field}.hints[{index}]", MAX_NOTE) for index, hint in enumerate(hints)),
                text(data.get("explain", ""), f"{field}.explain", MAX_NOTE, empty=True))
