"""kit.culture.pick: exact culture, then its language, then the retailer default, then the first text."""

from __future__ import annotations

import pytest

from openoffers.kit.culture import language, pick


@pytest.mark.parametrize(
    ("culture", "lang"), [("en", "en"), ("en-US", "en"), ("EN_us", "en"), ("zh-Hant-TW", "zh"), ("fr", "fr")]
)
def test_language(culture: str, lang: str) -> None:
    assert language(culture) == lang


@pytest.mark.parametrize(
    ("available", "wanted", "default", "expected"),
    [
        ([], "en", "en", None),
        (["en"], "en-us", "fr", 0),  # the guide: en-us finds en
        (["fr", "en"], "en-us", "fr", 1),
        (["fr", "en-US"], "en-us", "fr", 1),  # exact, any case
        (["fr", "en_US"], "EN-us", "fr", 1),  # _ and - are one separator
        (["fr", "en"], "EN", "fr", 1),
        (["en-GB", "en-US"], "en-us", "fr", 1),  # exact beats another culture of the language
        (["en-GB", "en"], "en-us", "fr", 1),  # the language itself beats a sibling culture
        (["fr", "en-GB"], "en-us", "fr", 1),  # then a sibling of the same language
        (["en-GB", "fr-CA"], "fr", "en", 1),  # a bare language finds its regional text
        (["de", "fr"], "en-us", "fr", 1),  # no English: the retailer's default culture
        (["de", "fr-CA"], "en", "fr", 1),  # the default by language
        (["de", "es"], "en-us", "fr", 0),  # nothing matches: the first text
        (["de", "fr"], None, "fr", 1),  # no culture asked: the default
        (["de", "fr"], "", "fr", 1),
        (["de", "fr"], None, "", 0),
    ],
)
def test_pick(available: list[str], wanted: str | None, default: str, expected: int | None) -> None:
    assert pick(available, wanted, default) == expected
