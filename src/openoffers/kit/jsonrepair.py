"""Mend mismatched brackets in a POS request body, and nothing else.

The partner guide's own send_transaction sample ends `}}]` where `}]}}` was meant, and POS
integrations copied from it must keep working. So when a POS body fails to parse, and only if it
contains a closing bracket that does not match the innermost open one, we close the containers the
writer evidently forgot and drop closers that match nothing. A body that is merely cut short (no
mismatch) is never "repaired": a truncated check must not be redeemed as if it were complete.
"""

from __future__ import annotations

_CLOSER = {"{": "}", "[": "]"}
_OPENER = {"}": "{", "]": "["}


def repair_brackets(body: bytes) -> bytes | None:
    """The mended body, or None when there is nothing this repair may fix."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out: list[str] = []
    stack: list[str] = []
    in_string = escaped = mismatched = False
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in _CLOSER:
            stack.append(char)
        elif char in _OPENER:
            opener = _OPENER[char]
            if stack and stack[-1] == opener:
                stack.pop()
            else:
                mismatched = True
                if opener not in stack:
                    continue  # a closer that matches nothing: drop it
                while stack[-1] != opener:
                    out.append(_CLOSER[stack.pop()])
                stack.pop()
        out.append(char)
    if in_string or not mismatched:
        return None
    while stack:
        out.append(_CLOSER[stack.pop()])
    return "".join(out).encode("utf-8")
