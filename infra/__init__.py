"""Adapters: persistence (SQLite, PostgreSQL), rule-set files, accounts. Implements application's ports."""
