"""Exports of the registries: the e-PPGBM measurement layout, the registry resources and the register template.

Rows are read through the access scope with `values_list` in chunks (no query per row) and written by
the shared writers of convergence.spreadsheets (formula injection escaped), keeping NIK as text: Excel
turns a 16-digit number into 3.51E+15 and loses the last digits (domain.md 3.2), so the .xlsx writer
stores it as a text cell and the .csv writer quotes it.
Every export is logged in the read log (children.audit.record_access).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Q, QuerySet
from django.http import Http404

from children import pii
from children.access import can_see_nik
from children.audit import record_access
from children.growth import classify
from children.growth.weight_gain import CODES as WEIGHT_GAIN_CODES
from children.growth.weight_gain import NOT_ASSESSED
from children.models import Child, Measurement, RecordAccess
from children.resources import (
    ChildResource,
    KeluargaResource,
    child_export_queryset,
    keluarga_export_queryset,
)
from convergence import spreadsheets
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict

# The e-PPGBM export, column for column (domain.md 3.2; "Pukesmas" is e-PPGBM's own spelling). An
# exported file re-imports through children.imports unchanged.
EPPGBM_HEADERS: tuple[str, ...] = (
    "NIK",
    "Nama",
    "JK",
    "Tgl Lahir",
    "BB Lahir",
    "TB Lahir",
    "Nama Ortu",
    "Prov",
    "Kab/Kota",
    "Kec",
    "Pukesmas",
    "Desa/Kel",
    "Posyandu",
    "RT",
    "RW",
    "Alamat",
    "Usia Saat Ukur",
    "Tanggal Pengukuran",
    "Berat",
    "Tinggi",
    "Cara Ukur",
    "LiLA",
    "BB/U",
    "ZS BB/U",
    "TB/U",
    "ZS TB/U",
    "BB/TB",
    "ZS BB/TB",
    "Naik Berat Badan",
    "PMT Diterima (kg)",
    "Jml Vit A",
    "KPSP",
    "KIA",
)
# The posyandu register template: the Kemendagri desa code first, so the import finds the posyandu
# without relying on how a name is spelled; then the e-PPGBM columns.
TEMPLATE_HEADERS: tuple[str, ...] = ("Kode Desa", *EPPGBM_HEADERS)
NIK_COLUMN = EPPGBM_HEADERS.index("NIK")

# Rows fetched per database round trip: a kabupaten's year of weighings (a few hundred thousand
# rows) streams through in constant memory, and 2,000 rows of ~35 columns stay well under a megabyte.
CHUNK_SIZE = 2_000

POSITION_WORDS = {Measurement.Position.LYING: "Telentang", Measurement.Position.STANDING: "Berdiri"}
YES, NO = "Ya", "Tidak"


class Layout:
    EPPGBM = "eppgbm"
    CHILDREN = "anak"
    KELUARGA = "keluarga"


class Format:
    XLSX = "xlsx"
    CSV = "csv"


CONTENT_TYPES = {
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.CSV: "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class ExportFilter:
    """Non-personal filters of an export: a posyandu, a desa (or any region by code prefix), a period."""

    posyandu: Posyandu | None = None
    desa: Region | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


# Selectors ----------------------------------------------------------------------------------------

_EPPGBM_FIELDS = (
    "child__nik_encrypted",
    "child__name",
    "child__sex",
    "child__birth_date",
    "child__birth_weight_kg",
    "child__birth_length_cm",
    "child__mother__name",
    "child__mother_name",
    "child__father_name",
    # The places of the visit (the posyandu's desa, kecamatan, puskesmas), not of the child's home:
    # the import finds the posyandu under its desa, also for a child weighed in another desa.
    "posyandu__desa__parent__parent__parent__name",
    "posyandu__desa__parent__parent__name",
    "posyandu__desa__parent__name",
    "posyandu__desa__puskesmas__name",
    "posyandu__desa__name",
    "posyandu__name",
    "child__rt",
    "child__rw",
    "child__address",
    "measured_on",
    "weight_kg",
    "height_cm",
    "position",
    "lila_cm",
    "waz_category",
    "waz",
    "haz_category",
    "haz",
    "whz_category",
    "whz",
    "weight_gain",
    "pmt_kg",
    "vitamin_a",
    "child__has_kia_book",
)


def measurement_list_for_export(
    *,
    user: User,
    posyandu: Posyandu | None = None,
    desa: Region | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Measurement]:
    """The measurements `user` may read, narrowed by the filters, in register order (desa, posyandu, child, day)."""
    qs = restrict(Measurement.objects.all(), user)
    if posyandu is not None:
        qs = qs.filter(posyandu=posyandu)
    if desa is not None:
        qs = qs.filter(Q(child__desa__code=desa.code) | Q(child__desa__code__startswith=f"{desa.code}."))
    if date_from is not None:
        qs = qs.filter(measured_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(measured_on__lte=date_to)
    return qs.order_by("child__desa__code", "posyandu__code", "child__name", "child_id", "measured_on")


def age_text(birth_date: datetime.date, day: datetime.date) -> str:
    """e-PPGBM's "Usia Saat Ukur": "X Tahun - Y Bulan - Z Hari" in completed calendar units."""
    months = (day.year - birth_date.year) * 12 + day.month - birth_date.month
    if day.day < birth_date.day:
        months -= 1
    anchor_year, anchor_month = divmod(birth_date.month - 1 + months, 12)
    anchor_year += birth_date.year
    anchor_month += 1
    # The same day-of-month in the month reached, clipped for 31 Jan + 1 month.
    for clip in range(0, 4):
        try:
            anchor = datetime.date(anchor_year, anchor_month, birth_date.day - clip)
            break
        except ValueError:
            continue
    days = (day - anchor).days
    return f"{months // 12} Tahun - {months % 12} Bulan - {days} Hari"


def _category(labels: dict[int, str], code: int) -> str:
    return "" if code == classify.NO_VALUE else labels[code]


def _z(value: float | None) -> float | str:
    return "" if value is None else round(value, 2)


def _blank(value: Any) -> Any:
    return "" if value is None else value


def eppgbm_rows_for_user(
    *,
    user: User,
    posyandu: Posyandu | None = None,
    desa: Region | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> Iterator[list[Any]]:
    """One list per measurement in the order of EPPGBM_HEADERS, streamed in chunks of CHUNK_SIZE.

    NIK in full only for roles that need it (children.access.can_see_nik), else masked to its last four
    digits. Dates are `datetime.date`, measures `Decimal`, z-scores floats rounded to 2 decimals, blanks "".
    """
    full_nik = can_see_nik(user)
    qs = measurement_list_for_export(
        user=user, posyandu=posyandu, desa=desa, date_from=date_from, date_to=date_to
    )
    for values in qs.values_list(*_EPPGBM_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        yield _eppgbm_row(values, full_nik=full_nik)


def _eppgbm_row(values: tuple[Any, ...], *, full_nik: bool) -> list[Any]:
    """One row in the order of EPPGBM_HEADERS from one measurement's values of _EPPGBM_FIELDS."""
    (
        nik_encrypted,
        name,
        sex,
        birth_date,
        birth_weight_kg,
        birth_length_cm,
        mother,
        mother_name,
        father_name,
        prov,
        kab,
        kec,
        puskesmas,
        desa_name,
        posyandu_name,
        rt,
        rw,
        address,
        measured_on,
        weight_kg,
        height_cm,
        position,
        lila_cm,
        waz_category,
        waz,
        haz_category,
        haz,
        whz_category,
        whz,
        weight_gain,
        pmt_kg,
        vitamin_a,
        has_kia_book,
    ) = values
    nik = pii.decrypt(nik_encrypted)
    return [
        nik if full_nik else pii.mask_identifier(nik),
        name,
        sex,
        birth_date,
        _blank(birth_weight_kg),
        _blank(birth_length_cm),
        mother or mother_name or father_name,
        prov or "",
        kab or "",
        kec or "",
        puskesmas or "",
        desa_name,
        posyandu_name,
        rt,
        rw,
        address,
        age_text(birth_date, measured_on),
        measured_on,
        _blank(weight_kg),
        _blank(height_cm),
        POSITION_WORDS.get(position, ""),
        _blank(lila_cm),
        _category(classify.BBU_LABELS_ID, waz_category),
        _z(waz),
        _category(classify.TBU_LABELS_ID, haz_category),
        _z(haz),
        _category(classify.GIZI_LABELS_ID, whz_category),
        _z(whz),
        "" if weight_gain == NOT_ASSESSED else WEIGHT_GAIN_CODES[weight_gain],
        _blank(pmt_kg),
        1 if vitamin_a else 0,
        "",  # KPSP: developmental screening is not recorded in this application.
        YES if has_kia_book else NO,
    ]


def register_template_rows(*, user: User, posyandu: Posyandu) -> list[list[Any]]:
    """The posyandu's active children as rows of TEMPLATE_HEADERS with the measurement columns empty.

    The NIK is filled in only for roles that may see it: a masked NIK on paper is of no use and would
    come back as an unreadable NIK on import. "Kode Desa" is the posyandu's desa (the import finds the
    posyandu by it), also for a child living in another desa. One query.
    """
    full_nik = can_see_nik(user)
    children = (
        restrict(Child.objects.all(), user)
        .filter(posyandu=posyandu, status=Child.Status.ACTIVE)
        .order_by("name", "pk")
        .values_list(
            "nik_encrypted",
            "name",
            "sex",
            "birth_date",
            "birth_weight_kg",
            "birth_length_cm",
            "mother__name",
            "mother_name",
            "father_name",
            "desa__parent__parent__parent__name",
            "desa__parent__parent__name",
            "desa__parent__name",
            "desa__puskesmas__name",
            "desa__name",
            "rt",
            "rw",
            "address",
            "has_kia_book",
        )
    )
    measurement_blanks = [""] * (len(EPPGBM_HEADERS) - EPPGBM_HEADERS.index("Usia Saat Ukur") - 1)
    rows = []
    for (
        nik_encrypted,
        name,
        sex,
        birth_date,
        birth_weight_kg,
        birth_length_cm,
        mother,
        mother_name,
        father_name,
        prov,
        kab,
        kec,
        puskesmas,
        desa_name,
        rt,
        rw,
        address,
        has_kia_book,
    ) in children:
        row = [
            posyandu.desa.code,
            pii.decrypt(nik_encrypted) if full_nik else "",
            name,
            sex,
            birth_date,
            _blank(birth_weight_kg),
            _blank(birth_length_cm),
            mother or mother_name or father_name,
            prov or "",
            kab or "",
            kec or "",
            puskesmas or "",
            desa_name,
            posyandu.name,
            rt,
            rw,
            address,
            "",  # Usia Saat Ukur
            *measurement_blanks,
        ]
        row[-1] = YES if has_kia_book else NO
        rows.append(row)
    return rows


# Writers ------------------------------------------------------------------------------------------


def write_table(
    target: IO[bytes],
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    text_columns: Iterable[int],
) -> int:
    """Write `rows` as .xlsx or .csv through the shared writers (formula injection escaped, NIK kept text)."""
    if fmt == Format.XLSX:
        return spreadsheets.xlsx_write(target, header, rows, text_columns=text_columns)
    if fmt == Format.CSV:
        return spreadsheets.csv_write(target, header, rows)
    raise ValueError(f"unknown export format {fmt!r}")


# Export services (read + write + log) -------------------------------------------------------------


def eppgbm_export(
    *,
    user: User,
    target: IO[bytes],
    fmt: str,
    filters: ExportFilter = ExportFilter(),
    channel: str,
    path: str = "",
) -> int:
    """Write the e-PPGBM layout of the measurements `user` may read to `target`; log the read; returns rows."""
    rows = eppgbm_rows_for_user(
        user=user,
        posyandu=filters.posyandu,
        desa=filters.desa,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    count = write_table(target, fmt, EPPGBM_HEADERS, rows, text_columns=[NIK_COLUMN])
    record_access(user=user, kind=RecordAccess.Kind.CHILD, count=count, channel=channel, path=path)
    return count


def registry_export(
    *,
    user: User,
    layout: str,
    target: IO[bytes],
    fmt: str,
    filters: ExportFilter = ExportFilter(),
    path: str = "",
) -> int:
    """Write the children or families registry `user` may read (django-import-export resources); log it."""
    from children.resources import (
        ChildResource,
        KeluargaResource,
    )

    if layout == Layout.CHILDREN:
        resource: ChildResource | KeluargaResource = ChildResource(user=user)
        queryset: QuerySet[Any] = child_export_queryset(
            user=user, posyandu=filters.posyandu, desa=filters.desa
        )
        kind = RecordAccess.Kind.CHILD
    elif layout == Layout.KELUARGA:
        resource = KeluargaResource(user=user)
        queryset = keluarga_export_queryset(user=user, desa=filters.desa)
        kind = RecordAccess.Kind.KELUARGA
    else:
        raise ValueError(f"unknown registry layout {layout!r}")
    dataset = resource.export(queryset=queryset)
    text_columns = [i for i, name in enumerate(dataset.headers) if name in resource.TEXT_HEADERS]
    count = write_table(target, fmt, dataset.headers, dataset, text_columns=text_columns)
    record_access(user=user, kind=kind, count=count, channel=RecordAccess.Channel.EXPORT, path=path)
    return count


def register_template_export(
    *, user: User, posyandu: Posyandu, target: IO[bytes], fmt: str = Format.XLSX, path: str = ""
) -> int:
    """Write the posyandu register template (.xlsx or .csv) pre-filled with the posyandu's children; log
    the read. Re-imported as written, it records nothing (rows without a measurement are unchanged)."""
    rows = register_template_rows(user=user, posyandu=posyandu)
    count = write_table(target, fmt, TEMPLATE_HEADERS, rows, text_columns=[0, NIK_COLUMN + 1])
    record_access(
        user=user, kind=RecordAccess.Kind.CHILD, count=count, channel=RecordAccess.Channel.EXPORT, path=path
    )
    return count


def posyandu_for_export(*, user: User, pk: int) -> Posyandu:
    """The posyandu `pk` if `user` may read it, else 404."""
    posyandu = restrict(Posyandu.objects.select_related("desa"), user).filter(pk=pk).first()
    if posyandu is None:
        raise Http404
    return posyandu


def export_filename(layout: str, fmt: str, *, today: datetime.date) -> str:
    names = {Layout.EPPGBM: "eppgbm", Layout.CHILDREN: "registri-anak", Layout.KELUARGA: "registri-keluarga"}
    return f"{names[layout]}-{today:%Y%m%d}.{fmt}"
