"""Server-side paging of the pages' long lists: the page and its size in the URL.

`halaman` is the page number and `per_halaman` the rows per page, as on the PMT pages; a page holding two
lists gives the second a prefix (`pencatat_halaman`). A size out of bounds is clamped (at most
`MAX_PAGE_SIZE`: a page of a thousand rows is the list unpaged again); a page number past the end shows
the last page. The template `convergence/_pager.html` draws the links, which keep every other parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = PAGE_SIZES[-1]


@dataclass(frozen=True)
class Paged:
    """One page of a list, with what its links need."""

    page: Page
    size: int
    page_param: str
    size_param: str
    # The query string of the request without the page number (the size included), for the page links.
    params: str
    # The query string without the page number and the size, for the size links.
    base_params: str
    sizes: tuple[int, ...] = PAGE_SIZES

    @property
    def rows(self) -> list[Any]:
        """The rows of the page (read once, when the page was made)."""
        return cast(list[Any], self.page.object_list)


def page_size(request: HttpRequest, *, param: str = "per_halaman", default: int = DEFAULT_PAGE_SIZE) -> int:
    """The rows per page asked for, clamped to 1..MAX_PAGE_SIZE; `default` when absent or not a number."""
    text = request.GET.get(param, "").strip()
    if not text.isdigit():
        return default
    return min(max(int(text), 1), MAX_PAGE_SIZE)


def paginate(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    *,
    prefix: str = "",
    default_size: int = DEFAULT_PAGE_SIZE,
) -> Paged:
    """The page of `rows` that the request asks for (`<prefix>halaman`, `<prefix>per_halaman`)."""
    page_param, size_param = f"{prefix}halaman", f"{prefix}per_halaman"
    size = page_size(request, param=size_param, default=default_size)
    page = Paginator(rows, size).get_page(request.GET.get(page_param))
    page.object_list = list(page.object_list)  # one query, however often the page reads its rows
    params = request.GET.copy()
    params.pop(page_param, None)
    base = params.copy()
    base.pop(size_param, None)
    return Paged(page, size, page_param, size_param, params.urlencode(), base.urlencode())
