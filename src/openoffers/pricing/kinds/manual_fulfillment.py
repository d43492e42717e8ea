"""A reward staff honour at the till: it discounts nothing, so a lock only reserves it."""

from .base import Kind

KIND = Kind(
    label="Manual fulfilment (staff honour it)",
    summary="A reward that staff honour at the till (no automatic discount)",
    benefit=None,
)
