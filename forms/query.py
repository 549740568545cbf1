"""Filters bound to the query string (the inbox, the breach view): their settings as a link."""

from typing import Any, ClassVar

from forms.base import TranslatedForm


class QueryFilterForm(TranslatedForm):
    """A filter form whose valid settings make up a shareable query string.

    `query_fields` lists the fields that belong to the query, the page number included.
    """

    query_fields: ClassVar[tuple[str, ...]] = ()

    def values(self) -> dict[str, Any]:
        """The valid, non-empty settings by name; a field with an error is left out."""
        return {
            field.short_name: field.data
            for field in self
            if field.short_name in self.query_fields
            and not field.errors
            and field.data not in (None, "")
        }

    def query(self) -> dict[str, Any]:
        """The settings worth keeping in a link or a saved filter (no page number)."""
        return {name: value for name, value in self.values().items() if name != "page"}
