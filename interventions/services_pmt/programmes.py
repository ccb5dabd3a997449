"""Writes of PMT reference data: rates and programmes with their funding lines."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from convergence.models import OPD, Region, Role, User
from convergence.scoping import scope_for_user
from interventions import selectors_pmt as sel
from interventions.models import (
    BudgetLine,
    PMTCategory,
    PMTFunding,
    PMTProgramme,
    PMTRate,
)
from interventions.services_pmt.enrolment import _shares_error
from interventions.services_pmt.permissions import can_manage_line


def can_manage_rates(user: User, kabupaten: Region | None) -> bool:
    """Bappeda its kabupaten's rates; the national defaults (no kabupaten) only a superuser."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    return (
        kabupaten is not None and scope.role == Role.BAPPEDA_ADMIN and scope.kabupaten_code == kabupaten.code
    )


def _rate_errors(*, category: str, daily_rate: Decimal, duration_days: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if category not in PMTCategory.values:
        errors["category"] = [_("Kategori sasaran tidak dikenal.")]
    if daily_rate is None or daily_rate <= 0 or daily_rate != daily_rate.to_integral_value():
        errors["daily_rate"] = [_("Biaya per hari harus rupiah bulat lebih dari nol.")]
    if duration_days is None or duration_days < 1:
        errors["duration_days"] = [_("Lama paling sedikit 1 hari.")]
    return errors


def pmt_rate_create(
    *,
    user: User,
    kabupaten: Region | None,
    category: str,
    valid_from: datetime.date,
    daily_rate: Decimal,
    duration_days: int,
    source: str = "",
) -> PMTRate:
    """A new dated rate row from `valid_from` (a rate changes by a new row; episodes keep theirs)."""
    if not can_manage_rates(user, kabupaten):
        raise PermissionDenied
    errors = _rate_errors(category=category, daily_rate=daily_rate, duration_days=duration_days)
    if errors:
        raise ValidationError(errors)
    if PMTRate.objects.filter(kabupaten=kabupaten, category=category, valid_from=valid_from).exists():
        raise ValidationError({"valid_from": [_("Tarif kategori ini sudah ada untuk tanggal tersebut.")]})
    try:
        with transaction.atomic():
            return PMTRate.objects.create(
                kabupaten=kabupaten,
                category=category,
                valid_from=valid_from,
                daily_rate=daily_rate,
                duration_days=duration_days,
                source=source,
            )
    except IntegrityError as error:  # a concurrent twin
        raise ValidationError(
            {"valid_from": [_("Tarif kategori ini sudah ada untuk tanggal tersebut.")]}
        ) from error


def pmt_rate_update(*, user: User, rate: PMTRate, **changes: object) -> PMTRate:
    """Correct a rate row no episode has used yet (a used one is superseded by a new row instead).

    `changes`: any of valid_from, daily_rate, duration_days, source.
    """
    if not can_manage_rates(user, rate.kabupaten):
        raise PermissionDenied
    unknown = set(changes) - {"valid_from", "daily_rate", "duration_days", "source"}
    if unknown:
        raise ValidationError({key: [_("Tidak dapat diubah.")] for key in sorted(unknown)})
    with transaction.atomic():
        row = PMTRate.objects.select_for_update().get(pk=rate.pk)
        # pmt_enrol locks the rate it uses: no episode can take it between this check and the write.
        if row.enrolments.exists():
            raise ValidationError(
                {
                    "non_field_errors": [
                        _(
                            "Tarif ini sudah dipakai episode PMT; tetapkan tarif baru dengan tanggal berlaku baru."
                        )
                    ]
                }
            )
        for key, value in changes.items():
            setattr(row, key, value)
        errors = _rate_errors(
            category=row.category, daily_rate=row.daily_rate, duration_days=row.duration_days
        )
        if errors:
            raise ValidationError(errors)
        clash = PMTRate.objects.filter(
            kabupaten=row.kabupaten_id, category=row.category, valid_from=row.valid_from
        ).exclude(pk=row.pk)
        if clash.exists():
            raise ValidationError({"valid_from": [_("Tarif kategori ini sudah ada untuk tanggal tersebut.")]})
        row.save()
    return row


def may_create_programmes(user: User) -> bool:
    """Whether the user's role creates programmes at all (Bappeda, OPD officers), before any field."""
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in (Role.BAPPEDA_ADMIN, Role.OPD_OFFICER)


def can_manage_programme(user: User, *, kabupaten: Region, opd: OPD) -> bool:
    """Bappeda any programme of its kabupaten; an OPD officer the programmes his OPD runs."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == kabupaten.code
    return scope.role == Role.OPD_OFFICER and scope.opd_id == opd.pk


def _programme_errors(
    *,
    user: User,
    kabupaten: Region,
    year: int,
    category: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    opd: OPD,
    fundings: list[tuple[BudgetLine, Decimal]],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if category not in PMTCategory.values:
        errors["category"] = [_("Kategori sasaran tidak dikenal.")]
    if opd.kabupaten_id != kabupaten.pk:
        errors["opd"] = [_("OPD tidak berada di kabupaten ini.")]
    if starts_on > ends_on or starts_on.year != year or ends_on.year != year:
        errors["ends_on"] = [_("Periode program harus di dalam tahun program, mulai sebelum selesai.")]
    lines = [line for line, _share in fundings]
    if not fundings:
        errors["fundings"] = [_("Program harus dibiayai paling sedikit satu baris anggaran.")]
    elif len({line.pk for line in lines}) != len(lines):
        errors["fundings"] = [_("Satu baris anggaran hanya sekali per program.")]
    elif any(line.kabupaten_id != kabupaten.pk or line.year != year for line in lines):
        errors["fundings"] = [_("Baris anggaran harus dari kabupaten dan tahun program.")]
    elif any(share <= 0 or share > 100 or share != share.quantize(Decimal("0.01")) for _l, share in fundings):
        errors["fundings"] = [
            _("Porsi tiap baris anggaran lebih dari 0 dan paling banyak 100%, dua desimal.")
        ]
    else:
        problem = _shares_error([PMTFunding(share_percent=share) for _l, share in fundings])
        if problem:
            errors["fundings"] = [problem]
    return errors


def _save_fundings(programme: PMTProgramme, fundings: list[tuple[BudgetLine, Decimal]]) -> None:
    programme.fundings.all().delete()
    PMTFunding.objects.bulk_create(
        PMTFunding(programme=programme, budget_line=line, share_percent=share) for line, share in fundings
    )


def pmt_programme_create(
    *,
    user: User,
    kabupaten: Region,
    year: int,
    name: str,
    category: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    opd: OPD,
    fundings: list[tuple[BudgetLine, Decimal]],
    is_active: bool = True,
) -> PMTProgramme:
    """Create a programme funded by `fundings` (line, share %), shares adding up to 100 %.

    By Bappeda, or an OPD officer for his OPD; every funding line must be one the user manages.
    """
    if not can_manage_programme(user, kabupaten=kabupaten, opd=opd):
        raise PermissionDenied
    if any(not can_manage_line(user, line) for line, _share in fundings):
        raise PermissionDenied
    errors = _programme_errors(
        user=user,
        kabupaten=kabupaten,
        year=year,
        category=category,
        starts_on=starts_on,
        ends_on=ends_on,
        opd=opd,
        fundings=fundings,
    )
    if not name.strip():
        errors["name"] = [_("Nama program wajib diisi.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = PMTProgramme.objects.create(
            kabupaten=kabupaten,
            year=year,
            name=name.strip(),
            category=category,
            starts_on=starts_on,
            ends_on=ends_on,
            opd=opd,
            is_active=is_active,
        )
        _save_fundings(programme, fundings)
    return programme


PROGRAMME_FIELDS = ("name", "category", "starts_on", "ends_on", "opd", "year")


def pmt_programme_update(
    *,
    user: User,
    programme: PMTProgramme,
    fundings: list[tuple[BudgetLine, Decimal]] | None = None,
    **changes: object,
) -> PMTProgramme:
    """Edit a programme before its first enrolment (after it, only `is_active` may change).

    `changes`: any of name, category, starts_on, ends_on, opd, year, is_active; `fundings` replaces
    the funding lines and shares. The programme row is locked (as pmt_enrol locks it before reading
    the fundings), so an enrolment cannot slip in between the check and the write.
    """
    if not can_manage_programme(user, kabupaten=programme.kabupaten, opd=programme.opd):
        raise PermissionDenied
    unknown = set(changes) - {*PROGRAMME_FIELDS, "is_active"}
    if unknown:
        raise ValidationError({key: [_("Tidak dapat diubah.")] for key in sorted(unknown)})
    with transaction.atomic():
        row = PMTProgramme.objects.select_for_update().select_related("kabupaten", "opd").get(pk=programme.pk)
        current = [(f.budget_line, f.share_percent) for f in sel.programme_fundings(programme=row)]
        structural = fundings is not None or any(
            getattr(row, key) != value for key, value in changes.items() if key != "is_active"
        )
        if structural and row.enrolments.exists():
            raise ValidationError(
                {"non_field_errors": [_("Program yang sudah memiliki episode tidak dapat diubah.")]}
            )
        for key, value in changes.items():
            setattr(row, key, value)
        if not can_manage_programme(user, kabupaten=row.kabupaten, opd=row.opd):
            raise PermissionDenied
        new_fundings = fundings if fundings is not None else current
        if fundings is not None and any(not can_manage_line(user, line) for line, _share in fundings):
            raise PermissionDenied
        errors = _programme_errors(
            user=user,
            kabupaten=row.kabupaten,
            year=row.year,
            category=row.category,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            opd=row.opd,
            fundings=new_fundings,
        )
        if not row.name.strip():
            errors["name"] = [_("Nama program wajib diisi.")]
        if errors:
            raise ValidationError(errors)
        row.save()
        if fundings is not None:
            _save_fundings(row, fundings)
    return row
