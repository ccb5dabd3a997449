"""Server-side paging of the pages' lists: page and size from the URL, the size bounded."""

from __future__ import annotations

from django.test import RequestFactory

from convergence.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate

ROWS = list(range(1, 251))


def _paged(query: str, **options: object):  # type: ignore[no-untyped-def]
    return paginate(RequestFactory().get(f"/daftar/?{query}"), ROWS, **options)  # type: ignore[arg-type]


def test_it_shows_the_default_size_from_the_first_page() -> None:
    paged = _paged("")
    assert (paged.page.number, paged.size, paged.rows) == (1, DEFAULT_PAGE_SIZE, ROWS[:DEFAULT_PAGE_SIZE])


def test_it_honours_the_page_and_the_size_of_the_url() -> None:
    paged = _paged("per_halaman=10&halaman=3")
    assert (paged.page.number, paged.size, paged.rows) == (3, 10, list(range(21, 31)))


def test_it_clamps_a_size_beyond_the_bound_and_below_one() -> None:
    assert _paged("per_halaman=100000").size == MAX_PAGE_SIZE
    assert len(_paged("per_halaman=100000").rows) == MAX_PAGE_SIZE
    assert _paged("per_halaman=0").size == 1
    assert _paged("per_halaman=abc").size == DEFAULT_PAGE_SIZE


def test_a_page_past_the_end_shows_the_last_one() -> None:
    paged = _paged("per_halaman=100&halaman=99")
    assert (paged.page.number, paged.rows) == (3, ROWS[200:])


def test_the_links_keep_the_other_parameters() -> None:
    paged = _paged("tahun=2025&per_halaman=10&halaman=2")
    assert paged.params == "tahun=2025&per_halaman=10"
    assert paged.base_params == "tahun=2025"


def test_a_second_list_reads_its_own_prefixed_parameters() -> None:
    paged = _paged("halaman=2&pencatat_halaman=3&pencatat_per_halaman=50", prefix="pencatat_")
    assert (paged.page.number, paged.size, paged.page_param) == (3, 50, "pencatat_halaman")
    assert paged.params == "halaman=2&pencatat_per_halaman=50"
