"""Hostile registers through the real job entry: each gets a clear message, little memory, no data change.

The dry run runs as the import page runs it: the Celery task `children.import_check`, in-process. Peak
memory is measured in a child process that reads the file through the same reader with the default
limits (VmHWM of /proc/self/status printed by the child: unlike ru_maxrss it starts afresh at exec, so
a large test process forking the child does not count): a fresh process without
Django's test database starts in a fraction of a second, and the reader is the only step whose memory
a file can inflate (past it, the pipeline holds one batch of rows at a time).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from children.models import Child, ImportJob, ImportRowIssue, Measurement, Person
from children.tasks import import_apply, import_check
from tests.children import hostile
from tests.children.test_import_pages import child_row
from tests.factories import DistrictFixture

MEMORY_LIMIT_MB = 300
NOTHING: dict[str, int] = {}
NONE_CHANGED = {
    "create_child": 0,
    "update_child": 0,
    "merge": 0,
    "create_measurement": 0,
    "update_measurement": 0,
    "unchanged": 0,
    "rejected": 0,
    "warnings": 0,
}
CONTROL = "Sel berisi karakter kontrol U+0000; hapus karakter itu dari berkas."
FORMULA = "Nama diawali tanda rumus (=, +, -, @): disimpan sebagai teks biasa"


def _ratio(path: Path, member: str) -> int:
    info = zipfile.ZipFile(path).getinfo(member)
    return info.file_size // info.compress_size


# (maker, the job's failure reason or "" when the dry run completes, its summary, its row issues)
CASES: dict[str, tuple[Callable[[Path], Path], Callable[[Path], str], dict[str, int], list[tuple]]] = {
    "empty": (hostile.empty, lambda path: "Berkas kosong", NOTHING, []),
    "random-bytes": (
        hostile.random_bytes,
        lambda path: "Berkas tidak dapat dibaca sebagai Excel (.xlsx)",
        NOTHING,
        [],
    ),
    "zip-bomb": (
        hostile.zip_bomb,
        lambda path: "Isi berkas .xlsx setelah dibuka berukuran 1,0\xa0GB; batasnya 500,0\xa0MB.",
        NOTHING,
        [],
    ),
    "100000-columns": (
        hostile.wide,
        lambda path: "Berkas berisi 100.000 kolom; batasnya 200 kolom.",
        NOTHING,
        [],
    ),
    "huge-cell": (
        hostile.huge_cell,
        lambda path: (
            f"Bagian xl/sharedStrings.xml berkas .xlsx memampat {_ratio(path, 'xl/sharedStrings.xml')} kali; "
            "batasnya 100 kali (bom zip)."
        ),
        NOTHING,
        [],
    ),
    "xls-far-cell": (
        hostile.xls_far_cell,
        lambda path: "Berkas berisi 256 kolom; batasnya 200 kolom.",
        NOTHING,
        [],
    ),
    "html-unclosed-comment": (
        hostile.html_unclosed_comment,
        lambda path: "Berkas HTML berisi tag yang tidak ditutup sepanjang lebih dari 302.144 karakter.",
        NOTHING,
        [],
    ),
    "utf-16": (
        hostile.utf16,
        lambda path: "",
        {**NONE_CHANGED, "create_child": 2, "create_measurement": 2},
        [],
    ),
    "nul-bytes": (
        hostile.nul_bytes,
        lambda path: "",
        {**NONE_CHANGED, "create_child": 1, "create_measurement": 1, "rejected": 1},
        [(3, "ditolak", "Nama", CONTROL)],
    ),
    "formula-names": (
        hostile.formula_names,
        lambda path: "",
        {**NONE_CHANGED, "create_child": 2, "create_measurement": 2, "warnings": 2},
        [(2, "peringatan", "Nama", FORMULA), (3, "peringatan", "Nama", FORMULA)],
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {name: make(folder) for name, (make, *_rest) in CASES.items()}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _counts() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "persons": Person.objects.count(),
        "measurements": Measurement.objects.count(),
    }


@pytest.mark.parametrize("case", list(CASES))
def test_it_refuses_or_reads_each_hostile_file_with_a_clear_message(
    district: DistrictFixture, corpus: dict[str, Path], case: str
) -> None:
    path = corpus[case]
    _make, failure, summary, issues = CASES[case]
    before = _counts()
    job = ImportJob(original_name=path.name, uploaded_by=district.users["kader"])
    with path.open("rb") as handle:
        job.file.save(path.name, File(handle), save=False)
    job.save()

    import_check.delay(job_id=job.pk)

    job.refresh_from_db()
    expected_status = ImportJob.Status.FAILED if failure(path) else ImportJob.Status.CHECKED
    assert (job.status, job.error, job.summary) == (expected_status, failure(path), summary)
    assert list(job.issues.values_list("row_number", "action", "field", "message")) == issues
    assert job.issues_not_stored == 0
    assert _counts() == before
    assert ImportRowIssue.objects.count() == len(issues)


_READ_IN_A_CHILD = """
import json, sys
from children.imports.readers import UnreadableFile, open_table
try:
    with open_table(sys.argv[1], sys.argv[1]) as table:
        rows = sum(1 for _row in table.rows)
    outcome = f"{rows} rows"
except UnreadableFile as error:
    outcome = error.message % error.params if error.params else error.message
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps([outcome, peak_kb // 1024]))
"""


@pytest.mark.parametrize("case", list(CASES))
def test_reading_a_hostile_file_stays_under_300_mb(corpus: dict[str, Path], case: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_CHILD, str(corpus[case])],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome, peak_mb = json.loads(result.stdout)
    assert peak_mb < MEMORY_LIMIT_MB, (outcome, peak_mb)
    assert outcome.endswith(" rows") == (not CASES[case][1](corpus[case])), outcome


def _bad_rows(count: int) -> bytes:
    return hostile.register_csv([child_row(f"Anak {n}", sex="X") for n in range(count)])


def test_issues_over_the_cap_are_counted_and_shown_on_the_page_the_api_and_the_command(
    district: DistrictFixture, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_ISSUES_STORED = 2
    kader = district.users["kader"]
    job = ImportJob(original_name="register.csv", uploaded_by=kader)
    job.file.save("register.csv", ContentFile(_bad_rows(5)), save=False)
    job.save()

    import_check.delay(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.summary["rejected"], job.issues_not_stored) == ("siap", 5, 3)
    assert list(job.issues.values_list("row_number", flat=True)) == [2, 3]
    note = "… dan 3 masalah lain tidak ditampilkan"
    client = Client()
    client.force_login(kader)
    page = client.get(f"/impor/{job.pk}/")
    assert f'<p data-testid="issues-not-stored">{note}</p>' in page.content.decode()
    api = APIClient()
    api.force_authenticate(kader)
    detail = api.get(f"/api/v1/imports/{job.pk}/").json()
    assert (detail["issues_not_stored"], detail["issues_not_stored_text"]) == (3, note)
    path = tmp_path / "register.csv"
    path.write_bytes(_bad_rows(5))
    out = StringIO()
    call_command("import_eppgbm", str(path), "--user", kader.username, stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("\t")[0] for line in lines if "\tditolak\t" in line] == ["2", "3"]
    assert lines[-2:] == [note, "Jalankan lagi dengan --commit untuk menerapkan."]


def test_the_import_page_states_the_limits(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(district.users["kader"])
    text = client.get("/impor/").content.decode()
    assert "paling besar 50,0\xa0MB." in text
    assert "Isi berkas .xlsx setelah dibuka paling besar 500,0\xa0MB" in text
    assert "Paling banyak 1.000.000 baris dan 200 kolom; lembar .xlsx paling banyak 10.000.000 sel" in text
    assert "Paling banyak 10.000 karakter per sel" in text
    assert "Catatan per baris: 1.000 yang pertama disimpan" in text


def test_a_row_with_a_nul_byte_is_skipped_at_apply_too(
    district: DistrictFixture, corpus: dict[str, Path]
) -> None:
    kader = district.users["kader"]
    job = ImportJob(original_name="nul.csv", uploaded_by=kader)
    job.file.save("nul.csv", ContentFile(corpus["nul-bytes"].read_bytes()), save=False)
    job.save()
    import_check.delay(job_id=job.pk)
    import_apply.delay(job_id=job.pk, user_id=kader.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.summary["create_child"], job.summary["rejected"]) == (
        "selesai",
        "",
        1,
        1,
    )
    assert list(Child.objects.values_list("name", flat=True)) == ["Dewi Ayu"]
