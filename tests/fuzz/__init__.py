"""API fuzz suite: schemathesis against the app's own OpenAPI document, on the real app with
its embedded demo ERP, as an agent and as an admin, on SQLite and (with
``ERPSYNC_TEST_POSTGRES_URL`` set) on PostgreSQL.

    ERPSYNC_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        pytest -q tests/fuzz

Every item that met a failure lists all of them; the terminal summary ("API fuzz findings")
groups them across databases and users. ``test_openapi.MAX_EXAMPLES`` bounds the run.
"""
