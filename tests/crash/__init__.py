"""Crash tests: erpsync processes killed with SIGKILL mid-sync, restarted or taken over, and
the mirror, the run history and the drafts checked against what must survive.

``pytest tests/crash`` runs them; the PostgreSQL ones need ``ERPSYNC_TEST_POSTGRES_URL``. Each
child process writes its output to a log file in the test's temporary folder.
"""
