"""`kit.errors.Problems`: every problem found while checking one request, in one VALIDATION."""

from __future__ import annotations

from openoffers.kit.errors import NotFound, Problems, ValidationFailed


def test_problems_collect_in_order_without_repeats_and_name_them_all() -> None:
    found = Problems()
    assert not found
    found.add("ends_at", "must be after starts_at")
    found.add("rate", "must not be negative")
    found.add("rate", "must not be negative")  # the same problem twice is one problem
    found.take(NotFound("offer not found", fields={"offer_id": ["not found"]}))
    found.take(ValidationFailed("the body is not JSON"))  # no field: its message, for the whole request
    error = found.error()
    assert found and (error.code, error.status) == ("VALIDATION", 400)
    assert error.fields == {
        "ends_at": ["must be after starts_at"],
        "rate": ["must not be negative"],
        "offer_id": ["not found"],
        "": ["the body is not JSON"],
    }
    assert error.message == (
        "ends_at: must be after starts_at; rate: must not be negative; offer_id: not found; the body is not JSON"
    )


def test_one_problem_reads_as_a_single_field_error() -> None:
    one = ValidationFailed.of({"rate": ["must not be negative"]})
    single = ValidationFailed.field("rate", "must not be negative")
    assert (one.message, one.fields) == (single.message, single.fields)
