"""The benchmark's table: each case against the same-run reference, beside issue 10's targets.

A row's ratio divides by the reference rounds interleaved with its own (`ref req/s`), so the two were
measured under the same load on a shared machine.

A case is flagged when it misses its ratio target, when p99 exceeds 3x p50, or when any answer was
not 2xx (a case with errors measured something else than it says).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.harness import Result

P99_OVER_P50 = 3.0


@dataclass(frozen=True)
class Row:
    result: Result
    reference: Result | None  # what `ratio` divides by; None for rows outside the comparison
    target: float | None  # the least acceptable ratio, if the issue sets one


def _flags(row: Row, ratio: float | None) -> str:
    r = row.result
    flags = []
    if r.non_2xx:
        flags.append("ERRORS")
    if row.target is not None and ratio is not None and ratio < row.target:
        flags.append("below target")
    if r.p50_ms and r.p99_ms / r.p50_ms > P99_OVER_P50:
        flags.append("p99 > 3x p50")
    return ", ".join(flags) or "ok"


def print_table(rows: Sequence[Row], comparisons: Sequence[tuple[str, Result, Result, float]]) -> None:
    """`comparisons`: (what, base, other, most) printed as how many times the cost of `base` a request
    of `other` has (base's requests/s over other's), against the most the issue allows."""
    numbers = f"{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}{'non-2xx':>9}{'ref req/s':>10}"
    numbers += f"{'ratio':>8}{'target':>8}"
    header = f"{'case':<34}{numbers}  flags"
    print(header)
    print("-" * len(header))
    for row in rows:
        r = row.result
        ratio = r.requests_per_second / row.reference.requests_per_second if row.reference else None
        spread = r.p99_ms / r.p50_ms if r.p50_ms else 0.0
        reference = "" if row.reference is None else f"{row.reference.requests_per_second:.0f}"
        print(
            f"{r.name:<34}{r.requests_per_second:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{spread:>9.1f}{r.non_2xx:>9}"
            f"{reference:>10}{'' if ratio is None else f'{ratio:.3f}':>8}"
            f"{'' if row.target is None else f'>={row.target}':>8}  {_flags(row, ratio)}"
        )
    for what, base, other, most in comparisons:
        slower = base.requests_per_second / other.requests_per_second if other.requests_per_second else float("inf")
        verdict = "ok" if slower <= most else "over target"
        print(f"{what}: costs {slower:.3f}x (requests/s, base over other; target <= {most}x): {verdict}")
