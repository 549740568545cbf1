"""The web layer's Flask extensions, unbound; create_app binds them. The database handle lives
in services.db, Flask-Babel's in app/core.py (Celery's worker uses those two alone)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import click
from flask import Flask
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect


class _MigrateConfig:
    """What Flask-Migrate keeps in app.extensions["migrate"] (migrations/env.py reads `db`
    and `configure_args`), with Flask-Migrate itself imported on first use: it imports
    Alembic and Mako, about 10 MiB in every web and Celery process that never migrates."""

    def __init__(self, db: SQLAlchemy, directory: str, configure_args: dict[str, Any]) -> None:
        self.db = db
        self.directory = directory
        self.configure_args = configure_args

    @cached_property
    def migrate(self) -> Any:
        from flask_migrate import Migrate as FlaskMigrate

        return FlaskMigrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self) -> Any:
        return self.db.metadata


class _LazyCommandGroup(click.Group):
    """`flask db`: Flask-Migrate's command group, imported when the group is run or its
    commands listed (`flask --help` shows only this help line)."""

    def _load(self) -> None:
        if self.commands:
            return
        from flask_migrate.cli import db as commands

        self.params = commands.params
        self.callback = commands.callback
        self.commands = dict(commands.commands)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        self._load()
        return super().make_context(*args, **kwargs)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


class Migrate:
    """Flask-Migrate's init_app (the `db` command group and app.extensions["migrate"]), with
    Flask-Migrate and Alembic loaded only by the commands and calls that migrate."""

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str, **configure_args: Any) -> None:
        """Register `flask db` and the configuration flask_migrate.upgrade() and env.py read."""
        # Flask-Migrate's defaults, as its own init_app would pass them to env.py.
        configure_args = {"compare_type": True, "render_as_batch": True, **configure_args}
        app.extensions["migrate"] = _MigrateConfig(db, str(directory), configure_args)
        app.cli.add_command(_LazyCommandGroup("db", help="Perform database migrations."), name="db")


csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
# Public forms are rate-limited per client address; storage comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def too_many_requests() -> str:
    """An API 429's detail in the reader's language (flask-limiter's own names the limit)."""
    return gettext("Too many requests; wait a moment and try again.")
