"""The SQL adapters (SQLAlchemy 2 Core): SQLite by default, PostgreSQL for scale-out."""
