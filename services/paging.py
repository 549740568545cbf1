"""What every paginated result offers its template."""

from __future__ import annotations


class Paged:
    """Mixin for a page of results that has `total` and `per_page`."""

    total: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one, so an empty list still shows page 1 of 1)."""
        return max(1, -(-self.total // self.per_page))
