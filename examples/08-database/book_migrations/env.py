"""Alembic's entry point for the reading list's migrations: it runs them on the connection
the caller passes in ``config.attributes["connection"]`` (see migrate.py)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
