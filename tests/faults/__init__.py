"""Fault tests: a real ``erpsync serve`` against a demo ERP in a process of its own, whose
faults (5xx, timeouts, malformed rows, slow and hung pages, an outage) are switched on and off
over its admin API; after each, the run history, the health and the mirror are checked
against what was true.

``pytest tests/faults`` runs them. Each test has its own ERP (so its fault dice start from
the same seed whatever ran before), its own service and its own copy of a SQLite database
prepared once with the users; child processes write their output to the test's temporary
folder.
"""
