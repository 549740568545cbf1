"""The SQLAlchemy handle shared by every service, with a constraint naming convention."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep SQLite batch migrations and PostgreSQL in agreement.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def database_locked(exc: BaseException) -> bool:
    """SQLite refused a write because another connection held the database ("database is
    locked", "database table is locked"): contention, worth trying again."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()
