"""One page of a longer list, as a search returns it (not the PDF's page planning: see
cosign/core/pdf/pagination.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """``items`` are page number ``page`` (from 1) of ``total`` items, ``per_page`` to a page."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are; at least 1, so an empty list is one empty page."""
        return max(1, -(-self.total // self.per_page))
