"""The worker's PostgreSQL test database, put back to its seeded state after each test.

Cloning the seeded template for every test and dropping the clone after it took 0.3 to 0.6 s
per test on two cores (CREATE DATABASE writes the template's 10 MB to the WAL; DROP waits for
the files to go): about a third of the suite's time on PostgreSQL. Now each test worker clones
the template once, keeps a copy of the seeded rows in a schema of their own, and after each
test empties every table and puts those rows and the sequences back, in one transaction of a
few milliseconds. A test that changed the schema (a migration run down and up again, a table
renamed and not renamed back) is caught by comparing the schema's fingerprint, and gets the
database cloned anew.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

SEED = "cf_test_seed"  # the schema holding the seeded rows inside the test database

# Tables, columns (with their types) and indexes of the public schema, in one text.
_FINGERPRINT = text(
    """
    SELECT md5(string_agg(c.relname || '.' || a.attname || ':' || a.atttypid::text, ','
                          ORDER BY c.relname, a.attname))
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relkind IN ('r', 'i', 'S', 'p')
    """
)


class PgTestDatabase:
    """A clone of the seeded template that `reset` returns to the seeded state."""

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url = server_url
        self.template = template
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.name = ""
        self.tests = 0
        self._clone()

    @property
    def url(self) -> str:
        return (
            make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)
        )

    def url_for_test(self) -> str:
        """The database's URL, different for each test (by its application_name): the
        services keep some results per database URL in memory (team routing, roles,
        recurring problems), and each test must start without those of the one before."""
        self.tests += 1
        url = make_url(self.url).update_query_dict({"application_name": f"test-{self.tests}"})
        return url.render_as_string(hide_password=False)

    def _clone(self) -> None:
        self.name = f"cf_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"'))
            # A crash of the test server may lose the last commits of a test database: nothing
            # to keep. Each commit then returns without waiting for the WAL to reach the disk.
            conn.execute(text(f'ALTER DATABASE "{self.name}" SET synchronous_commit TO off'))
        # Pinged before use: a test may terminate the database's connections (ours too).
        self.engine = create_engine(
            self.url, isolation_level="AUTOCOMMIT", pool_size=1, pool_pre_ping=True
        )
        with self.engine.connect() as conn:
            self._keep_seed(conn)

    def _keep_seed(self, conn: Connection) -> None:
        tables = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).all()
        conn.execute(text(f'CREATE SCHEMA "{SEED}"'))
        statements = ["SET LOCAL session_replication_role = replica"]  # no FK order to follow
        # Table names come from our own test database's catalog.
        statements += [f'DELETE FROM public."{table}"' for table in tables]  # noqa: S608
        for table in tables:
            seeded = text(f'SELECT EXISTS (SELECT 1 FROM public."{table}")')  # noqa: S608
            if not conn.scalar(seeded):
                continue
            conn.execute(text(f'CREATE TABLE "{SEED}"."{table}" AS TABLE public."{table}"'))
            # Named columns: a migration run down and up again may re-add one at the end.
            columns = ", ".join(
                f'"{c}"'
                for c in conn.scalars(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE "
                        "table_schema = 'public' AND table_name = :t AND is_generated = 'NEVER'"
                        " ORDER BY ordinal_position"
                    ),
                    {"t": table},
                )
            )
            statements.append(
                f'INSERT INTO public."{table}" ({columns}) '  # noqa: S608
                f'SELECT {columns} FROM "{SEED}"."{table}"'
            )
        for name, value, called in conn.execute(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                "last_value, last_value IS NOT NULL FROM pg_sequences WHERE schemaname = 'public'"
            )
        ):
            statements.append(f"SELECT setval('{name}', {value or 1}, {str(called).lower()})")
        self._reset_sql = "BEGIN; " + "; ".join(statements) + "; COMMIT"
        self._fingerprint = conn.scalar(_FINGERPRINT)

    def reset(self) -> None:
        """Back to the seeded state; cloned anew when the test changed the schema."""
        with self.engine.connect() as conn:
            # Connections a test left open (a failed test's, a server it started) go first,
            # as DROP DATABASE ... WITH (FORCE) did.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            if conn.scalar(_FINGERPRINT) == self._fingerprint:
                try:
                    conn.exec_driver_sql(self._reset_sql)
                    return
                except Exception:  # noqa: BLE001 - any failure: start from a new clone
                    conn.exec_driver_sql("ROLLBACK")
        self.drop()
        self._clone()

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
