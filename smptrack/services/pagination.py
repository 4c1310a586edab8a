"""One page of a longer list, the shape ``templates/partials/pagination.html`` draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list (``page`` counts from 1)."""

    items: list[T]
    page: int
    per_page: int
    total: int
    # ``total`` is a bound, not a count: there are more rows than it, and only ``total`` are
    # paged (the client page's access log, ``overview.ACCESS_LOG_COUNTED``).
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def clamp_page(page: int, total: int, per_page: int) -> int:
    """``page`` brought into 1..last (issue 13: "?page=99" of 2 shows page 2, 0 or less page
    1), for pages a person reads. The API does not clamp: a program paging on until a page
    comes back empty would never stop if a page past the end answered with the last one."""
    last = max(1, -(-max(0, total) // max(1, per_page)))
    return min(max(1, page), last)


def paginate(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """Slice ``items``; a page past the end shows the last page rather than nothing."""
    per_page = max(1, per_page)
    total = len(items)
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)
    start = (page - 1) * per_page
    return Page(
        items=list(items[start : start + per_page]), page=page, per_page=per_page, total=total
    )
