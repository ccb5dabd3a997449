"""Bulk import of deliveries from an OPD's spreadsheet (.csv or .xlsx): dry run, then apply.

Columns (header row first, names case-insensitive): Kode Intervensi, NIK (children and persons) or
Nomor KK (families), Nama (for the reader only), Tanggal, Jumlah, Satuan, Sumber Dana, Unit Pelaksana.
A row is "baru" (will be / was created), "sudah ada" (the same intervention, subject and day is
already recorded, or repeated in the file: imports are idempotent) or "ditolak" with its reasons.
Row numbers are those of the sheet (the header is row 1). An OPD officer may import only his OPD's
interventions. Apply runs in one transaction. OPD sheets hold hundreds to a few thousand rows, so this
runs in the request; the e-PPGBM pipeline's Celery jobs are not needed at this size.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from children import pii
from children.identity import recover_digits
from children.imports.parsing import parse_date
from children.models import Child, Keluarga, Person
from convergence.models import User
from convergence.scoping import restrict
from convergence.spreadsheets import spreadsheet_unescape_row
from interventions import access, selectors
from interventions import eligibility as rules
from interventions.models import Delivery, FundingSource, Intervention, Referral


def gettext_noop(message: str) -> str:
    return message


CREATED, UNCHANGED, REJECTED = "baru", "sudah ada", "ditolak"
COLUMNS = {
    "kode intervensi": "code",
    "nik": "nik",
    "nomor kk": "kk",
    "no kk": "kk",
    "nama": "name",
    "tanggal": "date",
    "jumlah": "quantity",
    "satuan": "unit",
    "sumber dana": "funding",
    "unit pelaksana": "provider",
}
FUNDING = {
    **{value: value for value in FundingSource.values},
    "dak": FundingSource.DAK,
    "bok": FundingSource.DAK,
    "dak non-fisik": FundingSource.DAK,
    "dana desa": FundingSource.DANA_DESA,
    "dd": FundingSource.DANA_DESA,
    "alokasi dana desa": FundingSource.ADD,
}


class UnreadableFile(Exception):
    """The file is not a readable .csv/.xlsx with the expected header (message untranslated)."""


@dataclass
class RowResult:
    row_number: int
    status: str
    name: str = ""
    code: str = ""
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult]
    applied: bool = False

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def created_count(self) -> int:
        return self.count(CREATED)

    @property
    def unchanged_count(self) -> int:
        return self.count(UNCHANGED)

    @property
    def rejected_count(self) -> int:
        return self.count(REJECTED)

    @property
    def summary(self) -> dict[str, int]:
        return {status: self.count(status) for status in (CREATED, UNCHANGED, REJECTED)}


def read_rows(handle: IO[bytes], file_name: str) -> list[tuple[int, dict[str, Any]]]:
    """(sheet row number, {column key: cell}) of a .csv or .xlsx file, blank rows skipped."""
    name = file_name.lower()
    if name.endswith(".xlsx"):
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0)
            table = [list(row) for row in sheet.iter_rows()]
        except (CalamineError, ValueError, OSError) as error:
            raise UnreadableFile(gettext_noop("Berkas Excel tidak dapat dibaca.")) from error
    elif name.endswith(".csv"):
        raw = handle.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise UnreadableFile(gettext_noop("Hanya berkas .csv atau .xlsx."))
    if not table:
        raise UnreadableFile(gettext_noop("Berkas kosong."))
    header = [COLUMNS.get(str(cell).strip().lower(), "") for cell in table[0]]
    if "code" not in header or "date" not in header or ("nik" not in header and "kk" not in header):
        raise UnreadableFile(
            gettext_noop(
                "Baris pertama harus berisi judul kolom: Kode Intervensi, NIK atau Nomor KK, Tanggal."
            )
        )
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        # A sheet made from one of our exports holds "'=..." for a text that looked like a formula.
        cells = spreadsheet_unescape_row(cells)
        rows.append((number, {key: cells[i] for i, key in enumerate(header) if key and i < len(cells)}))
    return rows


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _quantity(value: Any) -> tuple[Decimal | None, str]:
    text = _text(value).replace(" ", "")
    if not text:
        return Decimal(1), ""
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, gettext_noop("Jumlah bukan angka.")
    if number <= 0:
        return None, gettext_noop("Jumlah harus lebih dari nol.")
    return number, ""


@dataclass
class _Planned:
    result: RowResult
    delivery: Delivery | None = None


def _subjects(
    user: User, rows: Sequence[tuple[int, dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Children/persons by NIK hash and families by KK number, among those the user may read (3 queries)."""
    hashes = set()
    kks = set()
    for _, cells in rows:
        nik, _error = recover_digits(cells.get("nik"))
        if nik:
            hashes.add(pii.nik_hash(nik))
        kk, _error = recover_digits(cells.get("kk"))
        if kk:
            kks.add(pii.nik_hash(kk))
    by_hash: dict[str, Any] = {}
    for person in restrict(Person.objects.filter(nik_hash__in=hashes), user):
        by_hash[person.nik_hash] = person
    # A child's NIK wins over a person's (they cannot share one: NIKs are unique across the registry).
    for child in restrict(Child.objects.filter(nik_hash__in=hashes), user):
        by_hash[child.nik_hash] = child
    # Keyed by the KK's hash: the number itself is stored encrypted only.
    by_kk = {family.kk_hash: family for family in restrict(Keluarga.objects.filter(kk_hash__in=kks), user)}
    return by_hash, by_kk


def delivery_import(
    *,
    user: User,
    rows: Sequence[tuple[int, dict[str, Any]]],
    commit: bool,
    today: datetime.date | None = None,
) -> ImportReport:
    """Check every row (dry run) and, with `commit`, create the new deliveries in one transaction."""
    today = today or timezone.localdate()
    interventions = {item.code.upper(): item for item in selectors.intervention_list_for_user(user=user)}
    by_hash, by_kk = _subjects(user, rows)
    planned: list[_Planned] = []
    seen: set[tuple[int, str, int, datetime.date]] = set()
    for number, cells in rows:
        result = RowResult(row_number=number, status=REJECTED, name=_text(cells.get("name")))
        planned.append(_Planned(result))
        code = _text(cells.get("code")).upper()
        result.code = code
        intervention: Intervention | None = interventions.get(code)
        if intervention is None:
            result.messages.append(gettext_noop("Kode intervensi tidak dikenal."))
            continue
        if not access.can_record_delivery(user, intervention):
            result.messages.append(gettext_noop("Intervensi ini bukan milik OPD Anda."))
            continue
        kind = rules.SUBJECT_KIND[intervention.target_group]
        subject: Any = None
        if kind == rules.FAMILY:
            kk, error = recover_digits(cells.get("kk"))
            if error or not kk:
                result.messages.append(error or gettext_noop("Nomor KK wajib untuk intervensi keluarga."))
            else:
                subject = by_kk.get(pii.nik_hash(kk))
                if subject is None:
                    result.messages.append(gettext_noop("Nomor KK tidak ditemukan di wilayah kerja Anda."))
        else:
            nik, error = recover_digits(cells.get("nik"))
            if error or not nik:
                result.messages.append(error or gettext_noop("NIK wajib untuk intervensi ini."))
            else:
                subject = by_hash.get(pii.nik_hash(nik))
                if subject is None:
                    result.messages.append(gettext_noop("NIK tidak ditemukan di wilayah kerja Anda."))
                elif (kind == rules.CHILD) != isinstance(subject, Child):
                    result.messages.append(gettext_noop("NIK ini bukan milik kelompok sasaran intervensi."))
                    subject = None
        delivered_on, date_error = parse_date(cells.get("date"))
        if date_error or delivered_on is None:
            result.messages.append(date_error or gettext_noop("Tanggal wajib diisi."))
        elif delivered_on > today:
            result.messages.append(gettext_noop("Tanggal penyaluran tidak boleh di masa depan."))
        elif not intervention.is_valid_between(delivered_on, delivered_on):
            result.messages.append(gettext_noop("Intervensi tidak berlaku pada tanggal ini."))
        quantity, quantity_error = _quantity(cells.get("quantity"))
        if quantity_error:
            result.messages.append(quantity_error)
        funding_text = _text(cells.get("funding")).lower() or FundingSource.APBD
        funding = FUNDING.get(funding_text)
        if funding is None:
            result.messages.append(gettext_noop("Sumber dana tidak dikenal."))
        if result.messages or subject is None or delivered_on is None or quantity is None or funding is None:
            continue
        key = (intervention.pk, kind, subject.pk, delivered_on)
        if key in seen:
            result.status = UNCHANGED
            continue
        seen.add(key)
        result.status = CREATED
        planned[-1].delivery = Delivery(
            intervention=intervention,
            opd_id=intervention.opd_id,
            child=subject if kind == rules.CHILD else None,
            person=subject if kind == rules.PERSON else None,
            keluarga=subject if kind == rules.FAMILY else None,
            desa_id=subject.desa_id,
            delivered_on=delivered_on,
            quantity=quantity,
            unit=_text(cells.get("unit")) or intervention.unit,
            funding_source=funding,
            provider_unit=_text(cells.get("provider"))[:120],
            source=Delivery.Source.IMPORT,
            recorded_by=user,
        )
    _mark_existing(planned)
    report = ImportReport(rows=[item.result for item in planned])
    if commit:
        with transaction.atomic():
            new = [item.delivery for item in planned if item.delivery is not None]
            created = bulk_create_with_history(new, Delivery, default_user=user)
            _close_referrals(created)
        report.applied = True
    return report


def _key(delivery: Delivery) -> tuple[int, int | None, int | None, int | None, datetime.date]:
    return (
        delivery.intervention_id,
        delivery.child_id,
        delivery.person_id,
        delivery.keluarga_id,
        delivery.delivered_on,
    )


def _mark_existing(planned: list[_Planned]) -> None:
    """Rows already recorded become "sudah ada" (one query)."""
    candidates = [item for item in planned if item.delivery is not None]
    if not candidates:
        return
    dates = [item.delivery.delivered_on for item in candidates if item.delivery]
    existing = set(
        Delivery.objects.filter(
            intervention_id__in={item.delivery.intervention_id for item in candidates if item.delivery},
            delivered_on__gte=min(dates),
            delivered_on__lte=max(dates),
        ).values_list("intervention_id", "child_id", "person_id", "keluarga_id", "delivered_on")
    )
    for item in candidates:
        if item.delivery is not None and _key(item.delivery) in existing:
            item.result.status = UNCHANGED
            item.delivery = None


def _close_referrals(created: Iterable[Delivery]) -> None:
    """Close the open referrals the new deliveries answer (one query plus one update per closed referral)."""
    by_subject = {
        (delivery.intervention_id, delivery.child_id, delivery.person_id, delivery.keluarga_id): delivery
        for delivery in created
    }
    if not by_subject:
        return
    now = timezone.now()
    open_referrals = Referral.objects.select_for_update().filter(
        intervention_id__in={key[0] for key in by_subject}, status__in=Referral.OPEN_STATUSES
    )
    for referral in open_referrals:
        delivery = by_subject.get(
            (referral.intervention_id, referral.child_id, referral.person_id, referral.keluarga_id)
        )
        if delivery is None:
            continue
        if delivery.pk is None:
            delivery = Delivery.objects.get(
                intervention_id=delivery.intervention_id,
                child_id=delivery.child_id,
                person_id=delivery.person_id,
                keluarga_id=delivery.keluarga_id,
                delivered_on=delivery.delivered_on,
            )
        referral.status = Referral.Status.DONE
        referral.delivery = delivery
        referral.closed_at = now
        referral.save(update_fields=["status", "delivery", "closed_at"])
