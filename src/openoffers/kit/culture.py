"""Culture fallback shared by every localised response (API.md section 1, "Culture")."""

from __future__ import annotations

from collections.abc import Sequence


def language(culture: str) -> str:
    return culture.replace("_", "-").split("-", 1)[0].lower()


def pick(available: Sequence[str], wanted: str | None, default: str) -> int | None:
    """Index of the text to show: exact culture (any case), then its language (`en-us` -> `en`),
    then the retailer's default culture, then the first text. None when there is no text."""
    if not available:
        return None
    lowered = [c.replace("_", "-").lower() for c in available]
    for candidate in (wanted, default):
        if not candidate:
            continue
        exact = candidate.replace("_", "-").lower()
        if exact in lowered:
            return lowered.index(exact)
        lang = language(exact)
        # The language itself (`en-us` -> `en`) before another culture of it (`en-gb`).
        if lang in lowered:
            return lowered.index(lang)
        for index, culture in enumerate(lowered):
            if language(culture) == lang:
                return index
    return 0
