"""StarLedger's domain: aggregates, value objects and pure rules.

Imports only the standard library and ``eventsourcing.domain`` (enforced by
tests/unit/test_dependency_rule.py).
"""
