"""The synthetic e-PPGBM register of `bench import`: the demo district's posyandu and a sample of its
children, rows as e-PPGBM exports them, written as .csv (streamed for the million-row case) or .xlsx.

Deterministic for a seed. Needs the demo district (`python manage.py seed_demo`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

IMPORT_DEFAULT_ROWS = 100_000


def import_inputs(seed: int) -> dict[str, Any]:
    """Posyandu of the demo district and a sample of its children, for the synthetic register."""
    from datetime import timedelta

    from django.core.management.base import CommandError
    from django.utils import timezone

    from children import pii
    from children.models import Child
    from convergence.demo import KABUPATEN_CODE
    from convergence.models import Posyandu, Role, User

    posyandu = list(
        Posyandu.objects.filter(desa__code__startswith=f"{KABUPATEN_CODE}.", is_active=True)
        .order_by("desa__code", "code")
        .values_list("id", "name", "desa__name", "desa__parent__name", "desa__parent__code", "desa_id")
    )
    user = User.objects.filter(
        role=Role.BAPPEDA_ADMIN, kabupaten__code=KABUPATEN_CODE, is_active=True
    ).first()
    if not posyandu or user is None:
        raise CommandError(
            "bench import needs the demo district: run `python manage.py seed_demo` first "
            "(with the same DATABASE_URL)."
        )
    # Names must point at one posyandu for the e-PPGBM layout (no desa code): drop ambiguous ones.
    counts: dict[tuple[str, str, str], int] = {}
    for _pk, name, desa, kec, _kec_code, _desa_id in posyandu:
        counts[(kec, desa, name)] = counts.get((kec, desa, name), 0) + 1
    posyandu = [p for p in posyandu if counts[(p[3], p[2], p[1])] == 1]
    today = timezone.localdate()
    children = list(
        Child.objects.filter(
            desa__code__startswith=f"{KABUPATEN_CODE}.", birth_date__gt=today - timedelta(days=1790)
        ).values_list("id", "name", "sex", "birth_date", "posyandu_id", "nik_encrypted")
    )
    rng = np.random.default_rng(seed)
    rng.shuffle(children)
    children = children[:15_000]
    niks = {pk: pii.decrypt(token) for pk, _n, _s, _b, _p, token in children if token}
    return {"posyandu": posyandu, "children": children, "niks": niks, "user": user, "today": today}


class _RowMaker:
    """The cells of one e-PPGBM row, with plausible measurements and NIK serials clear of the demo's."""

    def __init__(self, rng: np.random.Generator, chunk: int) -> None:
        from children.imports.layout import EPPGBM_COLUMNS

        self.rng = rng
        self.chunk = chunk
        self.width = len(EPPGBM_COLUMNS)
        self.index = {c.key: i for i, c in enumerate(EPPGBM_COLUMNS)}
        self.serial: dict[tuple[str, str], int] = {}

    def cells(self, p: tuple, name: str, sex: str, born: Any, nik: str, day: Any) -> list[str]:
        rng = self.rng
        cells = [""] * self.width
        age = (day - born).days
        height = 47.0 + 63.0 * np.sqrt(age / 1856.0) + rng.normal(0.0, 3.0)
        weight = 3.2 + 14.8 * np.sqrt(age / 1856.0) + rng.normal(0.0, 1.0)
        values = {
            "nik": nik, "name": name, "sex": sex, "birth_date": born.strftime("%d/%m/%Y"),
            "parent_name": "Ibu " + name.split()[-1], "prov": "JAWA TIMUR", "kab": "SUKAMAJU", "kec": p[3],
            "puskesmas": p[3].title(), "desa": p[2], "posyandu": p[1], "rt": f"{rng.integers(1, 15):03d}",
            "rw": f"{rng.integers(1, 8):03d}", "address": "Dusun Krajan", "measured_on": day.strftime("%d/%m/%Y"),
            "weight_kg": f"{max(weight, 2.0):.1f}".replace(".", ","), "height_cm": f"{height:.1f}",
            "position": "Telentang" if age < 731 else "Berdiri", "lila_cm": f"{13.5 + rng.normal(0, 1):.1f}",
            "vitamin_a": "1" if rng.random() < 0.3 else "0", "kia": "Ya",
        }  # fmt: skip
        for key, value in values.items():
            cells[self.index[key]] = value
        return cells

    def new_nik(self, p: tuple, sex: str, born: Any) -> str:
        area = p[4].replace(".", "")
        day = born.day + (40 if sex == "P" else 0)
        stem = f"{area}{day:02d}{born.month:02d}{born.year % 100:02d}"
        # Serials from 5001 (clear of the demo's), each chunk of a streamed file in its own range.
        self.serial[(area, stem)] = self.serial.get((area, stem), 5000 + 400 * self.chunk) + 1
        return f"{stem}{self.serial[(area, stem)]:04d}"

    def damage(self, cells: list[str]) -> None:
        """A few bad rows: Excel-damaged NIK, impossible date, absurd weight."""
        kind = int(self.rng.integers(0, 3))
        if kind == 0:
            cells[self.index["nik"]] = "3.56E+15"
        elif kind == 1:
            cells[self.index["measured_on"]] = "31/02/2026"
        else:
            cells[self.index["weight_kg"]] = "95"


def _weighings_of_registered(
    make: _RowMaker, repeat: int, inputs: dict[str, Any], rows: list[tuple[int, list[str]]]
) -> None:
    """`repeat` new weighings of the sample's registered children, a week apart (a quarter of those
    without a NIK bring one)."""
    from datetime import timedelta

    existing, today = inputs["children"], inputs["today"]
    by_id = {p[0]: p for p in inputs["posyandu"]}
    offsets = (2, 9, 16, 23)
    for i in range(repeat):
        pk, name, sex, born, posyandu_id, _token = existing[(i // len(offsets)) % len(existing)]
        p = by_id.get(posyandu_id)
        cycle = i // (len(offsets) * len(existing)) + 2 * make.chunk
        day = today - timedelta(days=offsets[i % len(offsets)] + 28 * cycle)
        if p is None or day <= born or (day - born).days > 1850:
            continue
        nik = inputs["niks"].get(pk, "")
        if not nik and make.rng.random() < 0.25:
            nik = make.new_nik(p, sex, born)
        rows.append((p[0], make.cells(p, name, sex, born, nik, day)))


def synthetic_rows(n: int, seed: int, inputs: dict[str, Any], chunk: int = 0) -> list[list[str]]:
    """e-PPGBM rows: ~60% children new to the registry (with NIK), ~40% new weighings of registered
    children (a quarter bringing a NIK the registry lacks), 0.5% bad rows; sorted by posyandu as
    e-PPGBM exports are."""
    from datetime import timedelta

    from children.demo import FIRST_NAMES_L, FIRST_NAMES_P, SECOND_NAMES

    rng = np.random.default_rng(seed)
    make = _RowMaker(rng, chunk)
    today, posyandu = inputs["today"], inputs["posyandu"]
    rows: list[tuple[int, list[str]]] = []
    _weighings_of_registered(make, int(n * 0.4) if inputs["children"] else 0, inputs, rows)
    while len(rows) < n:
        p = posyandu[int(rng.integers(0, len(posyandu)))]
        sex = "L" if rng.random() < 0.51 else "P"
        first = FIRST_NAMES_L if sex == "L" else FIRST_NAMES_P
        name = f"{rng.choice(first)} {rng.choice(SECOND_NAMES)} {rng.choice(SECOND_NAMES)}"
        born = today - timedelta(days=int(rng.integers(40, 1780)))
        day = today - timedelta(days=int(rng.integers(1, 28)) + 56 * chunk)
        if day <= born:
            continue
        cells = make.cells(p, name, sex, born, make.new_nik(p, sex, born), day)
        if rng.random() < 0.005:
            make.damage(cells)
        rows.append((p[0], cells))
    rows.sort(key=lambda item: item[0])
    return [cells for _p, cells in rows[:n]]


def write_csv_streamed(path: Any, n: int, seed: int, inputs: dict[str, Any]) -> None:
    """A big register written 100,000 rows at a time (never all rows in memory)."""
    import csv

    from children.imports.layout import EPPGBM_COLUMNS

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([c.header for c in EPPGBM_COLUMNS])
        for chunk in range(0, n, IMPORT_DEFAULT_ROWS):
            size = min(IMPORT_DEFAULT_ROWS, n - chunk)
            writer.writerows(synthetic_rows(size, seed + chunk, inputs, chunk=chunk // IMPORT_DEFAULT_ROWS))


def write_csv(path: Any, rows: list[list[str]]) -> None:
    import csv

    from children.imports.layout import EPPGBM_COLUMNS

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([c.header for c in EPPGBM_COLUMNS])
        writer.writerows(rows)


def write_xlsx(path: Any, rows: list[list[str]]) -> None:
    """The rows as a workbook saved the way Excel saves one: text in a shared strings table, a blank no
    cell at all (XlsxWriter, from requirements-bench.txt). openpyxl would write every text inline and
    every blank as an empty text cell, a sheet over half as large again."""
    try:
        import xlsxwriter
    except ImportError as error:
        from django.core.management.base import CommandError

        raise CommandError(
            "bench import writes its .xlsx with XlsxWriter: .venv/bin/pip install -r requirements-bench.txt"
        ) from error

    from children.imports.layout import EPPGBM_COLUMNS

    # Text stays text: no conversion of "003" or "16,6" to numbers, of "=..." to formulas.
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(str(path), options)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [c.header for c in EPPGBM_COLUMNS])
    for number, cells in enumerate(rows, start=1):
        for column, cell in enumerate(cells):
            if cell != "":
                sheet.write_string(number, column, cell)
    workbook.close()
