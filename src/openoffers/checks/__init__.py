"""Checks: the transaction object a POS sends, and its conversion to a pricing basket and a rules event."""
