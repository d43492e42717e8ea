"""Problems in plain words, next to their field: the one place that rewords what the API's decoder and
the services say ("Expected `str` of length <= 200", "Object missing required field `threshold`", a
raw pattern, API field names) for people filling in a form. The API keeps its own wording; only the
admin pages go through here (`forms.Form.place_errors`, which every admin form uses to show errors).
"""

from __future__ import annotations

import re

from openoffers.admin.describe import OFFER_TYPE_LABELS

# (pattern of the whole message, the plain words; `{name}` takes the pattern's group).
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"Expected `str` of length <= (?P<n>\d+)", "Use at most {n} characters."),
        (r"Expected `str` of length >= 1", "This cannot be empty."),
        (r"Expected `str` of length >= (?P<n>\d+)", "Use at least {n} characters."),
        (r"Expected `array` of length <= (?P<n>\d+)", "Use at most {n} entries."),
        (r"Expected `int` >= 1", "Enter 1 or more."),
        (r"Expected `int` >= (?P<n>-?\d+)", "Enter {n} or more."),
        (r"Expected `int` <= (?P<n>-?\d+)", "Enter {n} or less."),
        (r"Expected `int`, got `\w+`", "Enter a whole number, such as 10."),
        (r"Expected `(decimal|number|float)`.*|Invalid decimal string", "Enter a number, such as 4.99."),
        (r"Expected `(decimal|number|float)` >= (?P<n>[-\d.]+)", "Enter {n} or more."),
        (r"Expected `bool`, got `\w+`", "Choose yes or no."),
        (r"Object missing required field `\w+`", "This is required."),
        (r"Invalid enum value '(?P<v>.*)'", "Choose one of the options."),
        (r"Invalid UUID", "Enter an id such as 136b6d16-1317-4ac6-b551-19540d53bd6c."),
        (r"Invalid RFC 3339.*|Invalid .*datetime.*|Expected `datetime`.*", "Enter a date and time."),
        (r"Expected `(object|array|str|int)`, got `\w+`.*", "This is not a value that fits here."),
        (r"Object contains unknown field `\w+`", "This is not a field of this form."),
        # The rules core's words for a condition (`rules.PropertyCondition`).
        (r"(gt|gte|lt|lte) needs a number \(int or Decimal\)", "This comparison needs a number, such as 50."),
        (r"(in|not_in) needs at least one value", "List at least one value, one per line."),
    )
)
# Patterns are never shown: what the field expects, by the field's name.
_PATTERNS = {
    "email": "Enter an e-mail address such as name@example.com.",
    "phone": "Enter a phone number: digits, spaces and + ( ) . - / only.",
    "time_windows": "Enter store times like 07:00-11:00, separated by commas.",
}
# API field names that the services' messages mention, as a form calls them.
_NAMES = {
    "acquisition_start_date": "the “Available from” date",
    "acquisition_end_date": "the “Available until” date",
    "validity_period": "“Valid for”",
    "validity_unit": "its unit",
    "points_cost": "a points cost",
    "store_ids": "stores",
    "store_tags": "store tags",
    "item_ids": "items",
    "category_ids": "categories",
    "offer_type": "the offer type",
    "offer_id": "an offer",
    "point_account_id": "a point account",
    "user_id": "a customer",
    "external_customer_id": "the external customer id",
    "max_discount": "the maximum discount",
    "starts_at": "the start",
    "ends_at": "the end",
}
# Services word a problem as a predicate of its field ("must be at least 1"): next to the field it
# reads as a sentence about "this".
_PREDICATE = re.compile(r"^(is|must|needs|has|already|appears|exceeds|may|cannot|should)\b")
# An offer type's id as its name on the form: "percent_item_discount needs a percent above 0" reads
# "A “Percent off items” offer needs a percent above 0".
_NAMES.update({kind: f"a “{label.split(' (')[0]}” offer" for kind, label in OFFER_TYPE_LABELS.items()})
_NAME = re.compile(r"\b(" + "|".join(sorted(_NAMES, key=len, reverse=True)) + r")\b")
_EXPECTED = re.compile(r"Expected `str` matching regex .*")


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def plain(problem: str, key: str = "") -> str:
    """`problem` (reported at form key `key`) in plain words."""
    if _EXPECTED.fullmatch(problem):
        field = key.rsplit(".", 1)[-1]
        return _PATTERNS.get(field, "This is not in the form this field expects.")
    for pattern, words in _RULES:
        match = pattern.fullmatch(problem)
        if match:
            return words.format(**match.groupdict())
    if problem.strip() == "not found":
        return "There is no such one. Pick one from the list."
    text = _NAME.sub(lambda m: _NAMES[m.group(1)], problem.strip())
    if text.startswith("not "):
        text = f"is {text}"
    return _sentence(f"This {text}" if _PREDICATE.match(text) else text)
