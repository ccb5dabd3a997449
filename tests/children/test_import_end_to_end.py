"""A district from its official sources to its first prevalence table: a Kemendagri-style region list
(no puskesmas, no posyandu), two years of e-PPGBM exports imported with --create-posyandu --commit,
recompute_prevalence, then `prevalence CODE --year YYYY` with figures counted by hand."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from children.models import Child, Measurement
from convergence.models import Posyandu, Puskesmas, Region, Role
from tests.children.test_import_pages import child_row, register_csv
from tests.factories import UserFactory

# As the Kepmendagri list publishes them: names carry no puskesmas or posyandu.
REGION_LIST = """code,name,level,parent_code
35,JAWA TIMUR,provinsi,
35.10,KABUPATEN BANYUWANGI,kabupaten,35
35.10.01,SUKAMAJU,kecamatan,35.10
35.10.01.2001,SUKAMAJU,desa,35.10.01
35.10.01.1001,MEKARSARI,kelurahan,35.10.01
35.10.02,SUKARAME,kecamatan,35.10
35.10.02.2001,CIBODAS,desa,35.10.02
"""

# child_row columns: 1 Nama, 2 JK, 3 Tgl Lahir, 9 Kec, 10 Pukesmas, 11 Desa/Kel, 12 Posyandu,
# 17 Tanggal Pengukuran, 18 Berat, 19 Tinggi, 20 Cara Ukur.
SUKAMAJU = ("Kec. Sukamaju", "UPTD Puskesmas Sukamaju")
SUKARAME = ("KECAMATAN SUKARAME", "Puskesmas Sukarame")


def measured_row(
    name: str, sex: str, born: datetime.date, place: tuple[str, str], desa: str, posyandu: str,
    day: datetime.date, height_cm: str,
) -> list[str]:  # fmt: skip
    cells = child_row(name, sex=sex)
    cells[3], cells[17], cells[18], cells[19] = born.isoformat(), day.isoformat(), "", height_cm
    cells[9], cells[10], cells[11], cells[12] = place[0], place[1], desa, posyandu
    cells[20] = "Telentang" if (day - born).days < 731 else "Berdiri"
    return cells


@pytest.mark.django_db
def test_a_district_gets_from_official_lists_and_exports_to_its_prevalence_table(tmp_path: Path) -> None:
    # The last two full years: within the summarised window whatever the day the suite runs.
    year = timezone.localdate().year - 1
    first_day, second_day = datetime.date(year - 1, 8, 12), datetime.date(year, 8, 12)
    regions = tmp_path / "wilayah.csv"
    regions.write_text(REGION_LIST, encoding="utf-8")
    call_command("load_regions", str(regions), stdout=StringIO())
    assert (Puskesmas.objects.count(), Posyandu.objects.count()) == (0, 0)
    UserFactory(username="bappeda", role=Role.BAPPEDA_ADMIN, kabupaten=Region.objects.get(code="35.10"))

    # A-D measured at 600 days in the first year; E and F born earlier, first measured in the second.
    born = {name: first_day - datetime.timedelta(days=600) for name in "ABCDX"}
    born |= {name: second_day - datetime.timedelta(days=900) for name in "EF"}
    sex = {"A": "L", "B": "P", "C": "L", "D": "P", "E": "L", "F": "P", "X": "L"}

    def row(
        name: str, place: tuple[str, str], desa: str, posyandu: str, day: datetime.date, cm: str
    ) -> list[str]:
        return measured_row(f"Anak {name}", sex[name], born[name], place, desa, posyandu, day, cm)

    # TB/U by the WHO standard (z-scores of the growth engine, far from every cut-off):
    first = [
        row("A", SUKAMAJU, "Desa Sukamaju", "Posyandu Mawar", first_day, "77.0"),  # -2.5 pendek
        row("B", SUKAMAJU, "DESA SUKAMAJU", "Mawar", first_day, "80.0"),  # -0.8 normal
        row("C", SUKAMAJU, "Kel. Mekarsari", "Melati", first_day, "84.0"),  # 0.0 normal
        row("D", SUKAMAJU, "sukamaju", "MAWAR", first_day, "71.0"),  # -3.8 sangat pendek
        row("X", SUKAMAJU, "Desa Antah Berantah", "Mawar", first_day, "80.0"),  # no such desa
    ]
    second = [
        row("A", SUKAMAJU, "Desa Sukamaju", "Posyandu Mawar", second_day, "90.0"),  # -0.9 normal
        row("B", SUKAMAJU, "Desa Sukamaju", "Posyandu Mawar", second_day, "92.0"),  # 0.0 normal
        row("C", SUKAMAJU, "Kelurahan Mekarsari", "Melati", second_day, "85.0"),  # -2.3 pendek
        row("D", SUKAMAJU, "Desa Sukamaju", "Mawar", second_day, "77.0"),  # -4.2 sangat pendek
        row("E", SUKARAME, "Desa Cibodas", "Kenanga", second_day, "92.0"),  # 0.1 normal
        row("F", SUKAMAJU, "Kel. Mekarsari", "Melati", second_day, "104.0"),  # +3.9 tinggi
    ]
    outputs = []
    for number, rows in enumerate((first, second)):
        path = tmp_path / f"eppgbm-{number}.csv"
        path.write_bytes(register_csv(rows))
        out = StringIO()
        call_command("import_eppgbm", str(path), "--create-posyandu", "--commit", stdout=out)
        outputs.append(out.getvalue().splitlines())

    def places(lines: list[str]) -> list[str]:
        """The place lines below "tempat dibuat: N" and the header line."""
        start = next(i for i, line in enumerate(lines) if line.startswith("tempat dibuat: "))
        count = int(lines[start].removeprefix("tempat dibuat: "))
        return lines[start + 2 : start + 2 + count]

    assert places(outputs[0]) == [
        "puskesmas\tSukamaju\tIMP-001\tSUKAMAJU\t35.10.01\t4",
        "posyandu\tMelati\tIMP-001\tMEKARSARI\t35.10.01.1001\t1",
        "posyandu\tMawar\tIMP-001\tSUKAMAJU\t35.10.01.2001\t3",
    ]
    assert (
        '6\tditolak\tDesa/Kel\tDesa/Kel "Desa Antah Berantah" di Kec "Kec. Sukamaju" tidak ditemukan di kabupaten Anda'
        in outputs[0]
    )
    assert places(outputs[1]) == [
        "puskesmas\tSukarame\tIMP-001\tSUKARAME\t35.10.02\t1",
        "posyandu\tKenanga\tIMP-001\tCIBODAS\t35.10.02.2001\t1",
    ]
    assert Child.objects.count() == 6
    assert Measurement.objects.count() == 10
    assert set(
        Region.objects.filter(level__in=["desa", "kelurahan"]).values_list("code", "puskesmas__name")
    ) == {
        ("35.10.01.2001", "Sukamaju"),
        ("35.10.01.1001", "Sukamaju"),
        ("35.10.02.2001", "Sukarame"),
    }

    call_command("recompute_prevalence", stdout=StringIO())
    out = StringIO()
    call_command("prevalence", "35.10", "--year", str(year), stdout=out)
    table = {line.split()[0]: line.split()[:8] for line in out.getvalue().splitlines()[2:4]}
    # Year, registered, measured (TB/U), sangat pendek, pendek, normal, tinggi, stunting %.
    assert table == {
        str(year - 1): [str(year - 1), "6", "4", "1", "1", "2", "0", "50,00"],
        str(year): [str(year), "6", "6", "1", "1", "3", "1", "33,33"],
    }
