"""Shared plumbing with no domain knowledge: money, time, ids, errors, wire decoding, database."""
