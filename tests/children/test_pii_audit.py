"""pii_dump_check: registry numbers found as plain digits in a file, wherever a read chunk cuts them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from children import pii_audit
from tests.children.test_registry_pages import MOTHER_NIK, mother_with_nik
from tests.factories import DistrictFixture


def test_it_counts_numbers_cut_by_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pii_audit, "CHUNK_BYTES", 7)
    dump = tmp_path / "dump.sql"
    dump.write_bytes(b"a\t3510015705950001\tb 3510015705950001x 35100157059500012 12")
    assert pii_audit.plaintext_hits(dump, {MOTHER_NIK.encode()}) == 2


def test_the_command_fails_on_a_readable_nik_and_passes_without(
    district: DistrictFixture, tmp_path: Path
) -> None:
    mother_with_nik(district)
    clean, leaky = tmp_path / "clean.sql", tmp_path / "leaky.sql"
    clean.write_text("COPY children_person (nik_encrypted) FROM stdin;\nv1.abc.def\n")
    leaky.write_text(f"COPY children_person (nik) FROM stdin;\n{MOTHER_NIK}\n")

    call_command("pii_dump_check", str(clean))
    with pytest.raises(CommandError, match="1 NIK/KK terbaca di 1 file"):
        call_command("pii_dump_check", str(clean), str(leaky))
