"""What the file imports (catalog items, customers) share: a report of the problems by line number, and
progress told as the import goes.

An import is an async generator: it yields `Progress` as it checks and writes lines, and its result (an
`ImportReport`) last. Whoever runs it chooses what to do with the progress: the admin page's stream sends
each step to the browser, `outcome` drops them. So one function does the work either way, and nothing
about an import in flight lives anywhere but in the request that runs it (any server process answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TypeVar

MAX_REPORTED = 200  # problems listed; a file with more says how many more
EVERY = 500  # lines between two progress steps: a 20,000-line file reports 40 times per stage

CHECKING = "checking"  # lines read and checked; nothing is written yet
WRITING = "writing"  # lines written in the import's one transaction; nothing is visible until the end


@dataclass(frozen=True, slots=True)
class Progress:
    stage: str  # CHECKING or WRITING
    done: int
    total: int


def due(done: int, total: int) -> bool:
    """Whether `done` of `total` is a step to report: the first, every EVERY, and the last."""
    return done == 0 or done == total or done % EVERY == 0


@dataclass
class ImportReport:
    """What an import came to: how many it imported, or the lines it refused (then it imported none)."""

    imported: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong); line 0: the file
    more_problems: int = 0

    def refuse(self, line: int, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line, message))
        else:
            self.more_problems += 1


R = TypeVar("R", bound=ImportReport)


async def outcome(steps: AsyncGenerator[Progress | R, None]) -> R:
    """An import run to its end with nobody watching: its report. Between two steps other requests get
    the event loop (checking 20,000 lines is a fair amount of work)."""
    async with aclosing(steps):
        async for step in steps:
            if not isinstance(step, Progress):
                return step
            await asyncio.sleep(0)
    raise RuntimeError("the import ended without its report")
