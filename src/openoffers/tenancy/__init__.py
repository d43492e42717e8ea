"""Tenancy: retailers, stores, API keys, POS clients and the Basic-auth guards."""
