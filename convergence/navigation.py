"""The menu each role sees: a few top entries and dropdown groups. Later apps add their entries here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from convergence.models import Role, User
from convergence.scoping import Scope, scope_for_user

# Roles that enter registry data (children.access.REGISTRY_WRITERS; kept here to avoid an upward import).
_REGISTRY_WRITERS = {Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER, Role.KADER, Role.KPM}
_MERGERS = {Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER}
# Delivery records are the OPD's work; Bappeda and the district head follow them.
_DELIVERY_READERS = {Role.BAPPEDA_ADMIN, Role.PIMPINAN, Role.OPD_OFFICER}
# Roles that hold or oversee PMT money (interventions.services_pmt.PMT_MONEY_ROLES; no upward import).
_PMT_MONEY = {Role.BAPPEDA_ADMIN, Role.PIMPINAN, Role.OPD_OFFICER, Role.PUSKESMAS_OFFICER, Role.KPM}
# The district head's dashboard (reports.dashboard.DASHBOARD_ROLES) sits at the top of the menu.
_DASHBOARD_READERS = {Role.BAPPEDA_ADMIN, Role.PIMPINAN}


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url: str = ""
    items: list[MenuItem] = field(default_factory=list)  # a dropdown group when not empty


def province_work_url(scope: Scope) -> str:
    """The assessment grid of the provincial role's province (this year), or the national role's list
    of provinces."""
    if scope.role == Role.BAPPEDA_PROVINSI and scope.provinsi_code:
        return reverse(
            "convergence:province-assessment", args=[scope.provinsi_code, timezone.localdate().year]
        )
    return reverse("convergence:province-index")


def province_dashboard_url(scope: Scope) -> str | None:
    """The province or national dashboard of an aggregate role; None while the reports app has none."""
    try:
        if scope.role == Role.BAPPEDA_PROVINSI and scope.provinsi_code:
            return reverse("reports:province-dashboard", args=[scope.provinsi_code])
        return reverse("reports:national-dashboard")
    except NoReverseMatch:
        return None


def _province_menu(scope: Scope, items: list[MenuItem]) -> list[MenuItem]:
    # Aggregates only: no registry, PMT or meeting entries (their pages hold named records).
    dashboard = province_dashboard_url(scope)
    if dashboard:
        label = _("Dasbor nasional") if scope.is_national else _("Dasbor provinsi")
        items.append(MenuItem(label, dashboard))
    items.append(MenuItem(_("Penilaian kinerja"), province_work_url(scope)))
    if scope.role == Role.BAPPEDA_PROVINSI and scope.provinsi_code:
        targets = reverse("reports:province-targets", args=[scope.provinsi_code])
    else:
        targets = reverse("convergence:province-index")
    items.append(MenuItem(_("Target provinsi"), targets))
    return items


def menu_for_user(user: User) -> list[MenuItem]:
    scope = scope_for_user(user)
    items = [MenuItem(_("Beranda"), reverse("home"))]
    if scope.is_empty:
        return items
    if scope.is_aggregate_only:
        return _province_menu(scope, items)
    if scope.is_superuser or scope.role in _DASHBOARD_READERS:
        items.append(MenuItem(_("Dasbor pimpinan"), reverse("reports:dashboard")))
    if scope.role == Role.KADER and scope.posyandu_id:
        items.append(
            MenuItem(_("Hari posyandu"), reverse("children:posyandu-day-current", args=[scope.posyandu_id]))
        )
    writer = scope.is_superuser or scope.role in _REGISTRY_WRITERS
    registry = [
        MenuItem(_("Anak"), reverse("children:child-list")),
        MenuItem(_("Keluarga"), reverse("children:keluarga-list")),
        MenuItem(_("Ibu hamil"), reverse("children:pregnancy-list")),
        MenuItem(_("Remaja putri"), reverse("children:adolescent-list")),
    ]
    if writer:
        registry.append(MenuItem(_("Cari NIK"), reverse("children:nik-search")))
    if scope.is_superuser or scope.role in _MERGERS:
        registry.append(MenuItem(_("Calon duplikat"), reverse("children:duplicate-list")))
    if writer:
        registry.append(MenuItem(_("Impor"), reverse("children:import-list")))
    registry.append(MenuItem(_("Ekspor"), reverse("children:export")))
    items.append(MenuItem(_("Registri"), items=registry))
    convergence = [
        MenuItem(_("Aksi konvergensi"), reverse("convergence:action-home")),
        MenuItem(_("Rapat"), reverse("convergence:meeting-list")),
        MenuItem(_("TPPS dan kader"), reverse("convergence:team-list")),
    ]
    convergence += [
        MenuItem(_("Katalog intervensi"), reverse("interventions:catalogue")),
        MenuItem(_("Buku konvergensi"), reverse("interventions:ledger")),
        MenuItem(_("Kesenjangan layanan"), reverse("interventions:gap-list")),
        MenuItem(_("Rujukan"), reverse("interventions:referral-list")),
        MenuItem(_("Analisis situasi (Aksi 1)"), reverse("interventions:situation-current")),
    ]
    if scope.is_superuser or scope.role in _DELIVERY_READERS:
        convergence.append(MenuItem(_("Penyaluran intervensi"), reverse("interventions:delivery-list")))
    items.append(MenuItem(_("Konvergensi"), items=convergence))
    if scope.is_superuser or scope.role in _PMT_MONEY:
        pmt = [
            MenuItem(_("Anggaran PMT"), reverse("interventions:pmt-budget-lines")),
            MenuItem(_("Pencairan PMT"), reverse("interventions:pmt-disbursement-list")),
            MenuItem(_("Program PMT"), reverse("interventions:pmt-programmes")),
            MenuItem(_("Tarif PMT"), reverse("interventions:pmt-rates")),
            MenuItem(_("Laporan PMT"), reverse("interventions:pmt-report-current")),
        ]
        items.append(MenuItem(_("PMT"), items=pmt))
    reports = []
    if scope.is_superuser or scope.role in _DASHBOARD_READERS:
        reports.append(MenuItem(_("Dasbor pimpinan"), reverse("reports:dashboard")))
    if scope.is_superuser or scope.role in (Role.PIMPINAN, Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER):
        reports.append(MenuItem(_("Dasbor wilayah"), reverse("reports:bappeda")))
    if scope.is_superuser or scope.role in (Role.BAPPEDA_ADMIN, Role.PUSKESMAS_OFFICER):
        reports.append(MenuItem(_("Kualitas data"), reverse("reports:data-quality")))
    if scope.is_superuser or scope.role in (Role.PIMPINAN, Role.BAPPEDA_ADMIN, Role.OPD_OFFICER):
        reports.append(MenuItem(_("Reviu kinerja (Aksi 8)"), reverse("reports:performance-review-current")))
    if scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN:
        reports.append(MenuItem(_("Peta batas desa"), reverse("reports:map-upload")))
    reports.append(MenuItem(_("Publikasi stunting (Aksi 7)"), reverse("reports:publication-index")))
    items.append(MenuItem(_("Laporan"), items=reports))
    items.append(MenuItem(_("Wilayah"), reverse("convergence:region-home")))
    help_items = [
        MenuItem(_("Cara hitung z-score"), reverse("children:zscore-method")),
        MenuItem(_("API"), reverse("api-docs")),
    ]
    if scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN:
        help_items.append(MenuItem(_("Administrasi"), reverse("admin:index")))
    items.append(MenuItem(_("Lainnya"), items=help_items))
    return items
