from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from convergence import evidence, services_actions
from convergence.models import ActionOutput, ConvergenceAction, EvidenceDocument
from tests.factories import DistrictFixture, UserFactory

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture(autouse=True)
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    return tmp_path


def office(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<x/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(name: str, content: bytes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        evidence.evidence_check(upload=upload(name, content))
    return caught.value.message_dict


def test_it_accepts_each_allowed_type_by_extension_and_content() -> None:
    cases = [
        ("Berita Acara.PDF", PDF, ".pdf"),
        ("foto.jpg", b"\xff\xd8\xff\xe0rest", ".jpg"),
        ("foto.jpeg", b"\xff\xd8\xff\xe1rest", ".jpeg"),
        ("peta.png", PNG, ".png"),
        ("notulen.docx", office("word/"), ".docx"),
        ("matriks.xlsx", office("xl/"), ".xlsx"),
    ]
    for name, content, extension in cases:
        checked = evidence.evidence_check(upload=upload(name, content))
        assert (checked.extension, checked.size_bytes, checked.sha256, checked.original_name) == (
            extension,
            len(content),
            hashlib.sha256(content).hexdigest(),
            name,
        )


def test_it_refuses_a_wrong_extension() -> None:
    assert refusal("program.exe", PDF) == {
        "file": ["Jenis berkas tidak diizinkan. Pilih berkas PDF, JPG, PNG, DOCX, XLSX."]
    }
    assert refusal("tanpa-ekstensi", PDF)["file"] == [
        "Jenis berkas tidak diizinkan. Pilih berkas PDF, JPG, PNG, DOCX, XLSX."
    ]


def test_it_refuses_a_right_extension_with_the_wrong_content() -> None:
    assert refusal("surat.pdf", b"<html><script>alert(1)</script>") == {
        "file": ["Isi berkas tidak sesuai dengan jenisnya (pdf)."]
    }
    assert refusal("foto.png", PDF) == {"file": ["Isi berkas tidak sesuai dengan jenisnya (png)."]}
    # A spreadsheet renamed .docx is a ZIP, but not a Word document.
    assert refusal("notulen.docx", office("xl/")) == {
        "file": ["Isi berkas tidak sesuai dengan jenisnya (docx)."]
    }
    assert refusal("rusak.xlsx", b"PK\x03\x04 not really a zip") == {
        "file": ["Isi berkas tidak sesuai dengan jenisnya (xlsx)."]
    }


def test_it_refuses_an_oversized_file_and_accepts_one_of_exactly_the_limit() -> None:
    at_limit = PDF + b"0" * (evidence.MAX_EVIDENCE_BYTES - len(PDF))
    assert evidence.evidence_check(upload=upload("besar.pdf", at_limit)).size_bytes == 10 * 1024 * 1024
    assert refusal("besar.pdf", at_limit + b"0") == {
        "file": ["Berkas terlalu besar (10,0\xa0MB); batasnya 10,0\xa0MB."]
    }


def test_it_refuses_an_empty_file() -> None:
    assert refusal("kosong.pdf", b"") == {"file": ["Berkas kosong."]}


# --- stored safely, served through the scope ------------------------------------------------------------


@pytest.fixture
def output(district: DistrictFixture) -> ActionOutput:
    action = ConvergenceAction.objects.create(
        kabupaten=district.kabupaten, year=2025, number=4, pic_opd=district.dinkes
    )
    return ActionOutput.objects.create(action=action, code="perbup", title="Perbup")


def test_it_stores_the_file_under_a_random_name_and_keeps_the_original_name(
    district: DistrictFixture, output: ActionOutput, media: Path
) -> None:
    document = services_actions.evidence_upload(
        user=district.users["bappeda_admin"],
        output=output,
        upload=upload("../../Perbup 8 2025.pdf", PDF),
        doc_type="perbup",
    )
    stored = Path(document.file.name)
    assert stored.parent.as_posix() == "evidence/2025"
    assert len(stored.stem) == 32
    assert stored.suffix == ".pdf"
    assert "Perbup" not in stored.name
    assert (document.original_name, document.size_bytes, document.uploaded_by) == (
        "Perbup 8 2025.pdf",
        len(PDF),
        district.users["bappeda_admin"],
    )
    assert (media / document.file.name).read_bytes() == PDF


def test_it_saves_nothing_for_a_refused_upload(
    district: DistrictFixture, output: ActionOutput, media: Path
) -> None:
    with pytest.raises(ValidationError):
        services_actions.evidence_upload(
            user=district.users["bappeda_admin"],
            output=output,
            upload=upload("x.pdf", b"MZ"),
            doc_type="perbup",
        )
    assert EvidenceDocument.objects.count() == 0
    assert list(media.rglob("*.*")) == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 302),
        ("opd_officer", 302),  # Dinkes is the PIC of this action
        ("pimpinan", 403),
        ("puskesmas_officer", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 404),
    ],
)
def test_it_lets_only_bappeda_and_the_pic_opd_upload_through_the_page(
    district: DistrictFixture, output: ActionOutput, role: str, status: int
) -> None:
    client = Client()
    client.force_login(district.users[role])
    response = client.post(
        reverse("convergence:evidence-upload", args=[output.pk]),
        {"doc_type": "perbup", "file": upload("perbup.pdf", PDF)},
    )
    assert response.status_code == status
    assert EvidenceDocument.objects.count() == (1 if status == 302 else 0)


def test_the_page_shows_the_type_error_on_the_file_field(
    district: DistrictFixture, output: ActionOutput
) -> None:
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    response = client.post(
        reverse("convergence:evidence-upload", args=[output.pk]),
        {"doc_type": "perbup", "file": upload("perbup.pdf", b"GIF89a")},
    )
    assert response.status_code == 400
    assert response.context["evidence_form"].errors == {
        "file": ["Isi berkas tidak sesuai dengan jenisnya (pdf)."]
    }
    assert EvidenceDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 200),
        ("pimpinan", 200),
        ("opd_officer", 200),
        ("puskesmas_officer", 200),
        ("kader", 200),
        ("kpm", 200),
        ("no_role", 404),
    ],
)
def test_it_streams_the_document_as_an_attachment_to_users_of_the_kabupaten(
    district: DistrictFixture, output: ActionOutput, role: str, status: int
) -> None:
    document = services_actions.evidence_upload(
        user=district.users["bappeda_admin"],
        output=output,
        upload=upload("Perbup 8.pdf", PDF),
        doc_type="perbup",
    )
    client = Client()
    client.force_login(district.users[role])
    response = client.get(reverse("convergence:evidence-download", args=[document.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"] == 'attachment; filename="Perbup 8.pdf"'
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF


def test_it_hides_the_documents_of_another_kabupaten(district: DistrictFixture, output: ActionOutput) -> None:
    document = services_actions.evidence_upload(
        user=district.users["bappeda_admin"], output=output, upload=upload("a.pdf", PDF), doc_type="perbup"
    )
    outsider = UserFactory(
        username="bappeda_bondowoso", role="bappeda_admin", kabupaten=district.other_kabupaten
    )
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("convergence:evidence-download", args=[document.pk])).status_code == 404


def test_an_office_file_listing_too_many_members_is_refused_unread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from convergence.evidence import evidence_check

    path = tmp_path / "banyak.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"")
        for number in range(1_001):
            archive.writestr(f"x/{number}", b"")
    upload = SimpleUploadedFile("banyak.xlsx", path.read_bytes())
    with pytest.raises(ValidationError) as refused:
        evidence_check(upload=upload)
    assert refused.value.message_dict == {"file": ["Isi berkas tidak sesuai dengan jenisnya (xlsx)."]}
