"""Bulk import of deliveries from an OPD's spreadsheet (.csv or .xlsx): dry run, then apply.

Columns (header row first, names case-insensitive): Kode Intervensi, NIK (children and persons) or
Nomor KK (families), Nama (for the reader only), Tanggal, Jumlah, Satuan, Sumber Dana, Unit Pelaksana.
A row is "baru" (will be / was created), "sudah ada" (the same intervention, subject and day is
already recorded, or repeated in the file: imports are idempotent) or "ditolak" with its reasons.
Row numbers are those of the sheet (the header is row 1). An OPD officer may import only his OPD's
interventions. Apply runs in one transaction. The pages run this in a Celery job over the stored file
(interventions.imports_jobs), never in the request; wherever it runs, the limits of convergence.uploads
are checked before the sheet is parsed (an .xlsx inspected before calamine opens it, a CSV decoded
from its BOM and read line by line).
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from children import pii
from children.identity import recover_digits
from children.imports.parsing import parse_date
from children.models import Child, Keluarga, Person
from convergence import uploads
from convergence.models import User
from convergence.scoping import restrict
from convergence.spreadsheets import spreadsheet_unescape_row
from convergence.uploads import UploadLimits
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

# The file is not a readable .csv/.xlsx with the expected header, or exceeds a limit: `message` is a
# msgid, `params` its values (convergence.uploads.refusal_text translates it).
UnreadableFile = uploads.UploadRefused


# A row's message: a msgid, or a msgid and its values; translated when shown (message_text), so that a
# stored report reads in its reader's language.
Message = str | tuple[str, dict[str, Any]]


def message_text(message: Message | list[Any]) -> str:
    """`message` in the active language (a stored report holds [msgid, params] lists)."""
    if isinstance(message, str):
        return gettext(message)
    msgid, params = message
    return gettext(msgid) % params


@dataclass
class RowResult:
    row_number: int
    status: str
    name: str = ""
    code: str = ""
    messages: list[Message] = field(default_factory=list)


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


def _xlsx_table(handle: IO[bytes], limits: UploadLimits) -> list[list[Any]]:
    from python_calamine import CalamineError, CalamineWorkbook

    uploads.check_xlsx(handle, limits)  # before calamine allocates anything
    try:
        sheet = CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as error:
        raise UnreadableFile(gettext_noop("Berkas Excel tidak dapat dibaca.")) from error
    uploads.check_extent(rows=sheet.height, columns=sheet.width, limits=limits)
    return [list(row) for row in sheet.iter_rows()]


def _csv_table(handle: IO[bytes], limits: UploadLimits) -> list[list[Any]]:
    text, _encoding = uploads.open_text(handle, limits)
    first_line = next(uploads.bounded_lines(text, limits), "")
    text.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    table: list[list[Any]] = []
    try:
        for number, cells in enumerate(
            csv.reader(uploads.bounded_lines(text, limits), delimiter=delimiter), 1
        ):
            uploads.check_row(number, cells, limits)
            table.append(cells)
    except csv.Error as error:
        raise UnreadableFile(uploads.NOT_XLSX, {"kind": "CSV"}) from error
    return table


def read_rows(handle: IO[bytes], file_name: str) -> list[tuple[int, dict[str, Any]]]:
    """(sheet row number, {column key: cell}) of a .csv or .xlsx file, blank rows skipped.

    UnreadableFile when the file is unreadable, exceeds a limit of the settings (checked before it is
    parsed) or lacks the header.
    """
    name = file_name.lower()
    limits = UploadLimits.from_settings()
    if name.endswith(".xlsx"):
        table = _xlsx_table(handle, limits)
    elif name.endswith(".csv"):
        table = _csv_table(handle, limits)
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
        values = spreadsheet_unescape_row(cells)
        rows.append((number, {key: values[i] for i, key in enumerate(header) if key and i < len(values)}))
    return rows


HEADERS = {
    key: header.title().replace("Kk", "KK").replace("Nik", "NIK") for header, key in reversed(COLUMNS.items())
}


def _control_character(cells: dict[str, Any]) -> Message:
    """The message for a row whose cell holds a control character (NUL...), or ""."""
    for key, cell in cells.items():
        if isinstance(cell, str) and (found := uploads.CONTROL_CHARACTERS.search(cell)):
            return (
                gettext_noop(
                    "Kolom %(column)s berisi karakter kontrol %(code)s; hapus karakter itu dari berkas."
                ),
                {"column": HEADERS[key], "code": f"U+{ord(found[0]):04X}"},
            )
    return ""


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
        if control := _control_character(cells):
            result.name = uploads.CONTROL_CHARACTERS.sub("", result.name)
            result.messages.append(control)
            continue
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
        subject = _row_subject(cells, kind, by_hash=by_hash, by_kk=by_kk, messages=result.messages)
        delivered_on = _row_date(cells, intervention, today=today, messages=result.messages)
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


def _row_subject(
    cells: dict[str, Any],
    kind: str,
    *,
    by_hash: dict[str, Any],
    by_kk: dict[str, Any],
    messages: list[Message],
) -> Any:
    """The row's child, person or family found by its NIK or KK number; None (with a message) when not."""
    subject: Any = None
    if kind == rules.FAMILY:
        kk, error = recover_digits(cells.get("kk"))
        if error or not kk:
            messages.append(error or gettext_noop("Nomor KK wajib untuk intervensi keluarga."))
        else:
            subject = by_kk.get(pii.nik_hash(kk))
            if subject is None:
                messages.append(gettext_noop("Nomor KK tidak ditemukan di wilayah kerja Anda."))
    else:
        nik, error = recover_digits(cells.get("nik"))
        if error or not nik:
            messages.append(error or gettext_noop("NIK wajib untuk intervensi ini."))
        else:
            subject = by_hash.get(pii.nik_hash(nik))
            if subject is None:
                messages.append(gettext_noop("NIK tidak ditemukan di wilayah kerja Anda."))
            elif (kind == rules.CHILD) != isinstance(subject, Child):
                messages.append(gettext_noop("NIK ini bukan milik kelompok sasaran intervensi."))
                subject = None
    return subject


def _row_date(
    cells: dict[str, Any], intervention: Intervention, *, today: datetime.date, messages: list[Message]
) -> datetime.date | None:
    """The row's delivery day; a message when it is missing, in the future or outside the intervention's validity."""
    delivered_on, date_error = parse_date(cells.get("date"))
    if date_error or delivered_on is None:
        messages.append(date_error or gettext_noop("Tanggal wajib diisi."))
    elif delivered_on > today:
        messages.append(gettext_noop("Tanggal penyaluran tidak boleh di masa depan."))
    elif not intervention.is_valid_between(delivered_on, delivered_on):
        messages.append(gettext_noop("Intervensi tidak berlaku pada tanggal ini."))
    return delivered_on


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
