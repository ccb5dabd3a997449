"""The public Aksi 7 publication (no login) and the Aksi 8 annual performance review.

The publication shows aggregate, suppressed counts only (reports.publication, reports.disclosure),
so anyone may read it and download it as PDF or .xlsx. The performance review is for Bappeda,
pimpinan and OPD officers (reports.performance decides who sees which OPD).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.paging import paginate

from . import pdf, performance, publication, xlsx
from .selectors import SOURCE_ROUTINE

MIN_YEAR, MAX_YEAR = 2000, 2100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    return year


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _publication(code: str, year: int) -> publication.Publication:
    kabupaten = publication.publication_kabupaten(code=code)
    return publication.publication(kabupaten=kabupaten, year=_year(year))


@replica_safe
@require_http_methods(["GET"])
def publication_index(request: HttpRequest) -> HttpResponse:
    published = publication.publication_index()
    if len(published) == 1:
        region, year = published[0]
        return redirect("reports:publication", code=region.code, year=year)
    return render(request, "reports/publication_index.html", {"published": published})


@replica_safe
@require_http_methods(["GET"])
def publication_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    item = _publication(code, year)
    # Suppression is decided over the whole district before paging (each cell carries it).
    desa = paginate(request, item.desa)
    context = {
        "item": item,
        "header": publication.value_header(),
        "puskesmas_rows": publication.displayed([*item.puskesmas, item.total]),
        "desa_rows": publication.displayed([*desa.rows, item.total]),
        "desa_pager": desa,
        "notes": publication.notes(item),
        "years": publication.publication_years(kabupaten=item.kabupaten),
    }
    return render(request, "reports/publication.html", context)


@replica_safe
@require_http_methods(["GET"])
def publication_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    item = _publication(code, year)
    return _download(pdf.publication_pdf(item), "application/pdf", f"publikasi-stunting-{code}-{year}.pdf")


@replica_safe
@require_http_methods(["GET"])
def publication_xlsx(request: HttpRequest, code: str, year: int) -> HttpResponse:
    item = _publication(code, year)
    return _download(xlsx.publication_workbook(item), XLSX, f"publikasi-stunting-{code}-{year}.xlsx")


def _review(request: AuthenticatedHttpRequest, year: int) -> performance.PerformanceReview:
    return performance.performance_review_for_user(
        user=request.user,
        year=_year(year),
        today=timezone.localdate(),
        kabupaten_code=request.GET.get("kabupaten", ""),
    )


@login_required
@require_http_methods(["GET"])
def performance_current(request: AuthenticatedHttpRequest) -> HttpResponse:
    performance.check_can_read_review(request.user)
    return redirect("reports:performance-review", year=timezone.localdate().year)


@replica_safe
@login_required
@require_http_methods(["GET"])
def performance_review(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    review = _review(request, year)
    return render(
        request, "reports/performance.html", {"review": review, "year": year, "source": SOURCE_ROUTINE}
    )


@replica_safe
@login_required
@require_http_methods(["GET"])
def performance_review_xlsx(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    review = _review(request, year)
    return _download(
        xlsx.performance_workbook(review), XLSX, f"reviu-kinerja-{review.kabupaten.code}-{year}.xlsx"
    )


urlpatterns = [
    path("publikasi/", publication_index, name="publication-index"),
    path("publikasi/<str:code>/<int:year>/", publication_page, name="publication"),
    path("publikasi/<str:code>/<int:year>/unduh.pdf", publication_pdf, name="publication-pdf"),
    path("publikasi/<str:code>/<int:year>/unduh.xlsx", publication_xlsx, name="publication-xlsx"),
    path("kinerja/", performance_current, name="performance-review-current"),
    path("kinerja/<int:year>/", performance_review, name="performance-review"),
    path("kinerja/<int:year>/unduh.xlsx", performance_review_xlsx, name="performance-review-xlsx"),
]
