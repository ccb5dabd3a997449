"""Print a region's stunting table for a year, as in the e-PPGBM analysis tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from convergence.models import Region, User
from reports import selectors


def _n(value: int) -> str:
    return number_format(value, force_grouping=True)


def _p(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    text = number_format(round(value, 2), decimal_pos=2)
    return f"+{text}" if sign and value > 0 else text


def _table_lines(rows: list[selectors.YearTableRow]) -> list[list[str]]:
    """The header and one line of text cells per year."""
    header = [
        _("Tahun"),
        _("Balita terdaftar"),
        _("Diukur (TB/U)"),
        _("Sgt pendek"),
        _("Pendek"),
        _("Normal"),
        _("Tinggi"),
        _("Stunting %"),
        _("IK 95%"),
        _("Perubahan"),
        _("Status"),
        _("Target %"),
        _("Sesuai jalur"),
    ]
    lines = [header]
    for r in rows:
        row, stunting, target = r.figure.row, r.figure.stunting, r.target
        on_course = {None: "-", True: _("ya"), False: _("tidak")}[target.on_course]
        lines.append(
            [
                str(row.period.year),
                _n(row.registered),
                _n(row.haz_counted),
                _n(row.haz_sangat_pendek),
                _n(row.haz_pendek),
                _n(row.haz_normal),
                _n(row.haz_tinggi),
                _p(stunting.pct),
                f"{_p(stunting.low)}-{_p(stunting.high)}",
                _p(target.change_points, sign=True),
                _(target.status) if target.status else "-",
                _p(target.target_pct),
                on_course,
            ]
        )
    return lines


class Command(BaseCommand):
    help = _("Tabel stunting satu wilayah per tahun: jumlah per kategori TB/U, diukur, %, perubahan, target.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("code", help=_("kode wilayah"))
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, choices=range(1, 13), help=_("bulan penimbangan tiap tahun"))

    def handle(self, *args: Any, **options: Any) -> None:
        region = Region.objects.filter(code=options["code"]).first()
        if region is None:
            raise CommandError(_("Kode wilayah %(code)s tidak dikenal.") % {"code": options["code"]})
        operator = User(is_superuser=True)  # an operator at the console reads every region
        table = selectors.year_table(
            user=operator, region=region, up_to_year=options["year"], month=options["month"]
        )
        rows = [r for r in table.rows if r.figure.row.period.year in (options["year"] - 1, options["year"])]
        if not any(r.figure.row.period.year == options["year"] for r in rows):
            raise CommandError(
                _("Belum ada ringkasan %(region)s tahun %(year)s: jalankan recompute_prevalence.")
                % {"region": region, "year": options["year"]}
            )
        period = (
            _("tahun") if options["month"] is None else _("bulan %(month)d") % {"month": options["month"]}
        )
        self.stdout.write(f"{region} ({region.code}), {period}; {selectors.SOURCE_ROUTINE}")
        lines = _table_lines(rows)
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        for line in lines:
            self.stdout.write("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
        last = rows[-1]
        if last.figure.row.haz_flagged:
            self.stdout.write(
                _("%(n)s nilai TB/U di luar batas WHO tidak dihitung.")
                % {"n": _n(last.figure.row.haz_flagged)}
            )
        rule = table.rule
        self.stdout.write(
            _("Aturan target: %(rule)s, penurunan minimal %(points)s poin per tahun.")
            % {
                "rule": rule.regulation if rule and rule.regulation else _("bawaan"),
                "points": rule.min_reduction_points if rule else "1.00",
            }
        )
        if last.target.national_pct is not None:
            self.stdout.write(
                _("Target nasional %(year)s: %(pct)s%%")
                % {"year": last.target.year, "pct": _p(last.target.national_pct)}
            )
        for survey in table.surveys:
            if survey.year == options["year"]:
                self.stdout.write(
                    _("Survei %(source)s %(year)s: %(pct)s%%")
                    % {"source": survey.source, "year": survey.year, "pct": survey.stunting_pct}
                )
