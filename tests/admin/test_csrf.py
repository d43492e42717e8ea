from openoffers.admin import csrf


def test_csrf_tokens() -> None:
    first, second = csrf.new_token(), csrf.new_token()
    assert first != second and len(first) == 43
    assert csrf.is_valid(first, first)
    assert not csrf.is_valid(first, second)
    assert not csrf.is_valid(first, "")
    assert not csrf.is_valid("", "")
    assert not csrf.is_valid(None, first)
    assert not csrf.is_valid(first, None)
    assert not csrf.is_valid(first, first + "x")
