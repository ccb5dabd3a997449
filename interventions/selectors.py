"""Reads of the interventions app, always through convergence.scoping.restrict.

The ledger and the gap lists load a region's whole population and deliveries as arrays in a fixed
number of queries (`population_load`, `delivered_load`) and hand them to interventions.compute.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Q, QuerySet
from django.http import Http404

from children.growth.weight_gain import completed_months
from children.identity import recover_digits
from children.models import AdolescentGirl, Child, Keluarga, Measurement, Person, Pregnancy
from children.pii import nik_hash
from convergence.models import OPD, Region, Role, User
from convergence.scoping import restrict, scope_for_user
from convergence.selectors import desa_list_for_user, region_get_for_user
from interventions import compute
from interventions import eligibility as rules
from interventions.models import Delivery, Indicator, IndicatorTarget, Intervention, Referral, TargetGroup

PAGE_SIZE = 50
# A measurement older than this no longer says whether a child is stunted today.
MEASUREMENT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Period:
    """January 1 of `year` to the end of `month` (December when none); `on` is the reference day."""

    year: int
    month: int | None = None

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def end(self) -> datetime.date:
        month = self.month or 12
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def reference_day(self, today: datetime.date) -> datetime.date:
        """Targets are counted on the period's last day, or today while the period is running."""
        return min(self.end, max(today, self.start))


# --- catalogue ----------------------------------------------------------------------------------------


def indicator_list_for_user(*, user: User) -> QuerySet[Indicator]:
    return restrict(Indicator.objects.all(), user).order_by("code")


def indicator_target_list_for_user(*, user: User) -> QuerySet[IndicatorTarget]:
    return restrict(IndicatorTarget.objects.select_related("indicator", "kabupaten"), user).order_by(
        "indicator__code", "year", "kabupaten__code"
    )


def intervention_list_for_user(*, user: User) -> QuerySet[Intervention]:
    return restrict(Intervention.objects.select_related("opd", "indicator", "kabupaten"), user).order_by(
        "kabupaten__code", "code"
    )


def intervention_get_for_user(*, user: User, pk: int) -> Intervention:
    intervention = intervention_list_for_user(user=user).filter(pk=pk).first()
    if intervention is None:
        raise Http404
    return intervention


def targets_for_year(*, kabupaten: Region | None, year: int) -> dict[int, Decimal]:
    """Target percent per indicator id for `year`: the kabupaten's own, else the national one (one query)."""
    rows = IndicatorTarget.objects.filter(year=year).filter(
        Q(kabupaten__isnull=True) | Q(kabupaten=kabupaten)
    )
    national: dict[int, Decimal] = {}
    local: dict[int, Decimal] = {}
    for indicator_id, kabupaten_id, percent in rows.values_list(
        "indicator_id", "kabupaten_id", "target_percent"
    ):
        (national if kabupaten_id is None else local)[indicator_id] = percent
    return {**national, **local}


@dataclass(frozen=True)
class CatalogueRow:
    intervention: Intervention
    target_percent: Decimal | None
    rule_label: str


def catalogue_for_user(*, user: User, year: int) -> list[CatalogueRow]:
    """The kabupaten's interventions with the target of their indicator for `year` (two queries)."""
    interventions = list(intervention_list_for_user(user=user))
    kabupaten = interventions[0].kabupaten if interventions else None
    targets = targets_for_year(kabupaten=kabupaten, year=year)
    return [
        CatalogueRow(
            intervention=item,
            target_percent=targets.get(item.indicator_id) if item.indicator_id else None,
            rule_label=rules.RULES[item.eligibility_rule].label
            if item.eligibility_rule in rules.RULES
            else "",
        )
        for item in interventions
    ]


def interventions_in_force(
    *, kabupaten_code: str, period: Period, opd: OPD | None = None
) -> list[Intervention]:
    """Active interventions of the kabupaten valid at some day of the period, with a known rule."""
    found = (
        Intervention.objects.filter(
            kabupaten__code=kabupaten_code, is_active=True, valid_from__lte=period.end
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period.start))
        .select_related("opd")
        .order_by("code")
    )
    if opd is not None:
        found = found.filter(opd=opd)
    return [item for item in found if item.eligibility_rule in rules.RULES]


def _specs(interventions: list[Intervention]) -> list[compute.InterventionSpec]:
    return [
        compute.InterventionSpec(
            id=item.pk,
            target_group=item.target_group,
            rule=item.eligibility_rule,
            params=item.rule_params or {},
        )
        for item in interventions
    ]


# --- population ---------------------------------------------------------------------------------------


def _water(value: str) -> int:
    if not value:
        return rules.UNKNOWN
    return rules.SAFE if value in Keluarga.SAFE_WATER else rules.UNSAFE


def _latrine(value: str) -> int:
    if not value:
        return rules.UNKNOWN
    return rules.SAFE if value == Keluarga.Latrine.OWN_SAFE else rules.UNSAFE


def population_load(*, desa: QuerySet[Region], on: datetime.date) -> rules.Population:
    """The targets living in `desa` on day `on`, as arrays (five queries whatever their number).

    Children: active, 0-59 months on `on`, with the TB/U and BB/TB category of their latest valid
    measurement of the last 12 months. Pregnancies: ongoing. Families: all, `poor` when BKKBN's
    "miskin" reason is recorded or the family holds JKN PBI (enrolled as poor in DTKS).
    """
    return rules.Population(
        children=_children_load(desa=desa, on=on),
        pregnancies=_pregnancies_load(desa=desa, on=on),
        girls=_girls_load(desa=desa),
        families=_families_load(desa=desa),
    )


def _children_load(*, desa: QuerySet[Region], on: datetime.date) -> rules.Children:
    """Active children 0-59 months on `on`, with their latest valid TB/U and BB/TB categories (two queries)."""
    oldest = datetime.date(on.year - 5, on.month, 1)
    child_rows = list(
        Child.objects.filter(
            desa__in=desa, status=Child.Status.ACTIVE, birth_date__lte=on, birth_date__gte=oldest
        )
        .order_by("pk")
        .values_list("pk", "desa_id", "keluarga_id", "birth_date", "has_birth_certificate", "has_jkn")
    )
    child_ids = np.array([row[0] for row in child_rows], dtype=np.int64)
    births = np.array([row[3] for row in child_rows], dtype="datetime64[D]")
    ages = (
        completed_months(births, np.full(len(births), on, dtype="datetime64[D]")) if len(births) else births
    )
    haz = np.full(len(child_ids), -1, dtype=np.int64)
    whz = np.full(len(child_ids), -1, dtype=np.int64)
    measured = Measurement.objects.filter(
        child__desa__in=desa,
        child__status=Child.Status.ACTIVE,
        measured_on__lte=on,
        measured_on__gt=on - datetime.timedelta(days=MEASUREMENT_WINDOW_DAYS),
    ).order_by("child_id", "measured_on")
    # Later rows overwrite earlier ones: what is left is each child's latest valid category.
    latest_haz: dict[int, int] = {}
    latest_whz: dict[int, int] = {}
    for child_id, haz_category, whz_category in measured.values_list(
        "child_id", "haz_category", "whz_category"
    ):
        if haz_category >= 0:
            latest_haz[child_id] = haz_category
        if whz_category >= 0:
            latest_whz[child_id] = whz_category
    position = {pk: i for i, pk in enumerate(child_ids.tolist())}
    for mapping, target in ((latest_haz, haz), (latest_whz, whz)):
        for child_id, category in mapping.items():
            if child_id in position:
                target[position[child_id]] = category
    return rules.Children(
        id=child_ids,
        desa_id=np.array([row[1] for row in child_rows], dtype=np.int64),
        keluarga_id=np.array([row[2] or 0 for row in child_rows], dtype=np.int64),
        age_months=np.asarray(ages, dtype=np.int64),
        haz_category=haz,
        whz_category=whz,
        has_birth_certificate=np.array([row[4] for row in child_rows], dtype=bool),
        has_jkn=np.array([row[5] for row in child_rows], dtype=bool),
    )


def _pregnancies_load(*, desa: QuerySet[Region], on: datetime.date) -> rules.Pregnancies:
    """Ongoing pregnancies on `on`, one per mother (her latest)."""
    pregnancy_rows = {
        mother_id: (desa_id, kek, anaemic)
        for mother_id, desa_id, kek, anaemic in Pregnancy.objects.filter(
            desa__in=desa, outcome=Pregnancy.Outcome.ONGOING
        )
        .filter(Q(lmp_date__isnull=True) | Q(lmp_date__lte=on))
        .order_by("mother_id", "lmp_date")
        .values_list("mother_id", "desa_id", "is_kek", "is_anaemic")
    }
    return rules.Pregnancies(
        person_id=np.array(list(pregnancy_rows), dtype=np.int64),
        desa_id=np.array([row[0] for row in pregnancy_rows.values()], dtype=np.int64),
        is_kek=np.array([row[1] for row in pregnancy_rows.values()], dtype=bool),
        is_anaemic=np.array([row[2] for row in pregnancy_rows.values()], dtype=bool),
    )


def _girls_load(*, desa: QuerySet[Region]) -> rules.Girls:
    """Adolescent girls of the registry."""
    girl_rows = list(
        AdolescentGirl.objects.filter(person__desa__in=desa)
        .order_by("person_id")
        .values_list("person_id", "person__desa_id")
    )
    return rules.Girls(
        person_id=np.array([row[0] for row in girl_rows], dtype=np.int64),
        desa_id=np.array([row[1] for row in girl_rows], dtype=np.int64),
    )


def _families_load(*, desa: QuerySet[Region]) -> rules.Families:
    """All families, `poor` when BKKBN's "miskin" reason is recorded or the family holds JKN PBI."""
    family_rows = list(
        Keluarga.objects.filter(desa__in=desa)
        .order_by("pk")
        .values_list(
            "pk",
            "desa_id",
            "water_source",
            "latrine",
            "jkn",
            "receives_pkh",
            "receives_bpnt",
            "at_risk",
            "at_risk_reasons",
        )
    )
    return rules.Families(
        id=np.array([row[0] for row in family_rows], dtype=np.int64),
        desa_id=np.array([row[1] for row in family_rows], dtype=np.int64),
        water=np.array([_water(row[2]) for row in family_rows], dtype=np.int64),
        latrine=np.array([_latrine(row[3]) for row in family_rows], dtype=np.int64),
        receives_pkh=np.array([row[5] for row in family_rows], dtype=bool),
        receives_bpnt=np.array([row[6] for row in family_rows], dtype=bool),
        at_risk=np.array([row[7] for row in family_rows], dtype=bool),
        poor=np.array(
            [
                Keluarga.AtRiskReason.POOR in (row[8] or []) or row[4] == Keluarga.JKN.PBI
                for row in family_rows
            ],
            dtype=bool,
        ),
    )


def delivered_load(
    *, desa: QuerySet[Region], period: Period, intervention_ids: list[int]
) -> compute.Delivered:
    """Deliveries of the period to subjects of `desa`, as (intervention, subject kind, subject id)."""
    rows = (
        Delivery.objects.filter(
            desa__in=desa,
            intervention_id__in=intervention_ids,
            delivered_on__gte=period.start,
            delivered_on__lte=period.end,
        )
        .values_list("intervention_id", "child_id", "person_id", "keluarga_id")
        .distinct()
    )
    return compute.Delivered.from_rows(
        (
            intervention_id,
            rules.CHILD if child_id else rules.PERSON if person_id else rules.FAMILY,
            child_id or person_id or keluarga_id,
        )
        for intervention_id, child_id, person_id, keluarga_id in rows
    )


# --- ledger -------------------------------------------------------------------------------------------


@dataclass
class LedgerRow:
    region: Region
    counts: compute.Counts


@dataclass
class Ledger:
    region: Region
    period: Period
    on: datetime.date
    rows: list[LedgerRow]  # one per desa, by code
    kecamatan: list[LedgerRow]  # totals per kecamatan (when the region is a kabupaten)
    total: compute.Counts
    interventions: list[Intervention] = field(default_factory=list)
    services: compute.Services | None = None


def _kabupaten_code(code: str) -> str:
    return ".".join(code.split(".")[:2])


def ledger_for_user(*, user: User, region_code: str, period: Period, today: datetime.date) -> Ledger:
    """The convergence ledger of a visible region: counts per desa, per kecamatan and in total.

    Counts cover all deliveries to the targets (not only the caller's OPD): the ledger shows whether
    a target got its package, never the delivery records themselves.
    """
    region = region_get_for_user(user=user, code=region_code)
    if region.level in ("provinsi",):
        raise Http404
    desa = desa_list_for_user(user=user).filter(Q(code__startswith=f"{region.code}.") | Q(code=region.code))
    desa_list = list(desa.order_by("code"))
    on = period.reference_day(today)
    interventions = interventions_in_force(kabupaten_code=_kabupaten_code(region.code), period=period)
    population = population_load(desa=desa, on=on)
    delivered = delivered_load(desa=desa, period=period, intervention_ids=[item.pk for item in interventions])
    services = compute.ledger_services(population, _specs(interventions), delivered)
    by_desa = compute.counts_by_desa(services)
    rows = [LedgerRow(region=item, counts=by_desa.get(item.pk, compute.Counts())) for item in desa_list]
    kecamatan: list[LedgerRow] = []
    if region.level in ("kabupaten", "kota"):
        grouped: dict[int, list[compute.Counts]] = defaultdict(list)
        for row in rows:
            grouped[row.region.parent_id].append(row.counts)  # type: ignore[index]
        kecamatan = [
            LedgerRow(region=kec, counts=compute.total(grouped[kec.pk]))
            for kec in Region.objects.filter(pk__in=list(grouped)).order_by("code")
        ]
    return Ledger(
        region=region,
        period=period,
        on=on,
        rows=rows,
        kecamatan=kecamatan,
        total=compute.total(row.counts for row in rows),
        interventions=interventions,
        services=services,
    )


@dataclass
class PackageRow:
    target: str
    subject_id: int
    name: str
    items: list[tuple[Intervention, bool | None]]  # None: not due
    received: int
    due: int


def _names(kind: str, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    if kind == rules.CHILD:
        return dict(Child.objects.filter(pk__in=ids).values_list("pk", "name"))
    if kind == rules.PERSON:
        return dict(Person.objects.filter(pk__in=ids).values_list("pk", "name"))
    return dict(Keluarga.objects.filter(pk__in=ids).values_list("pk", "head_name"))


def ledger_package_rows(*, ledger: Ledger) -> list[PackageRow]:
    """Per priority target of a one-desa ledger: each intervention due and whether it was received."""
    services = ledger.services
    if services is None or not len(services):
        return []
    result: list[PackageRow] = []
    for target in compute.TARGET_KINDS:
        mine = services.target == target
        if not mine.any():
            continue
        kind = str(services.kind[mine][0])
        subject_ids = sorted(set(services.subject_id[mine].tolist()))
        names = _names(kind, subject_ids)
        relevant = [
            item for item in ledger.interventions if item.pk in set(services.intervention_id[mine].tolist())
        ]
        status: dict[tuple[int, int], bool] = {
            (s, i): r
            for s, i, r in zip(
                services.subject_id[mine].tolist(),
                services.intervention_id[mine].tolist(),
                services.received[mine].tolist(),
                strict=True,
            )
        }
        for subject_id in sorted(subject_ids, key=lambda pk: (names.get(pk, ""), pk)):
            items = [(item, status.get((subject_id, item.pk))) for item in relevant]
            result.append(
                PackageRow(
                    target=target,
                    subject_id=subject_id,
                    name=names.get(subject_id, ""),
                    items=items,
                    received=sum(1 for _, got in items if got),
                    due=sum(1 for _, got in items if got is not None),
                )
            )
    return result


# --- gaps ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    intervention: Intervention
    kind: str
    subject_id: int
    name: str
    desa: Region
    reason: str
    referral: Referral | None


def gap_opd_choices_for_user(*, user: User) -> list[OPD]:
    """The OPD whose gaps the user may open: his own for an OPD officer, the kabupaten's for others."""
    scope = scope_for_user(user)
    opd = restrict(OPD.objects.all(), user).order_by("short_name")
    if scope.role == Role.OPD_OFFICER and not scope.is_superuser:
        opd = opd.filter(pk=scope.opd_id) if scope.opd_id is not None else opd.none()
    return list(opd)


def gap_list_for_user(
    *, user: User, opd: OPD, period: Period, today: datetime.date, desa_id: int | None = None
) -> list[GapRow]:
    """Named targets in the user's area due an intervention of `opd` that have not received it in the period.

    The rows come with the referral already open for them, if any. A fixed number of queries.
    """
    if opd.pk not in {item.pk for item in gap_opd_choices_for_user(user=user)}:
        raise Http404
    desa = desa_list_for_user(user=user).filter(code__startswith=f"{opd.kabupaten.code}.")
    if desa_id is not None:
        desa = desa.filter(pk=desa_id)
    on = period.reference_day(today)
    interventions = interventions_in_force(kabupaten_code=opd.kabupaten.code, period=period, opd=opd)
    if not interventions:
        return []
    population = population_load(desa=desa, on=on)
    delivered = delivered_load(desa=desa, period=period, intervention_ids=[item.pk for item in interventions])
    gaps = compute.gap_services(population, _specs(interventions), delivered)
    by_id = {item.pk: item for item in interventions}
    names: dict[str, dict[int, str]] = {
        kind: _names(kind, sorted(set(gaps.subject_id[gaps.kind == kind].tolist())))
        for kind in (rules.CHILD, rules.PERSON, rules.FAMILY)
    }
    regions = {region.pk: region for region in Region.objects.filter(pk__in=set(gaps.desa_id.tolist()))}
    open_referrals: dict[tuple[int, str, int], Referral] = {}
    for referral in Referral.objects.filter(
        intervention_id__in=list(by_id), status__in=Referral.OPEN_STATUSES
    ).order_by("pk"):
        open_referrals[(referral.intervention_id, referral.subject_kind, referral.subject_id or 0)] = referral
    rows = [
        GapRow(
            intervention=by_id[intervention_id],
            kind=kind,
            subject_id=subject_id,
            name=names[kind].get(subject_id, ""),
            desa=regions[desa_id],
            reason=rules.RULES[by_id[intervention_id].eligibility_rule].label,
            referral=open_referrals.get((intervention_id, kind, subject_id)),
        )
        for intervention_id, kind, subject_id, desa_id in zip(
            gaps.intervention_id.tolist(),
            gaps.kind.tolist(),
            gaps.subject_id.tolist(),
            gaps.desa_id.tolist(),
            strict=True,
        )
    ]
    return sorted(rows, key=lambda row: (row.intervention.code, row.desa.code, row.name, row.subject_id))


# --- deliveries and referrals -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFilters:
    intervention_id: int | None = None
    desa_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def delivery_list_for_user(*, user: User, filters: DeliveryFilters | None = None) -> QuerySet[Delivery]:
    deliveries = restrict(
        Delivery.objects.select_related("intervention", "opd", "desa", "child", "person", "keluarga"), user
    )
    filters = filters or DeliveryFilters()
    if filters.intervention_id:
        deliveries = deliveries.filter(intervention_id=filters.intervention_id)
    if filters.desa_id:
        deliveries = deliveries.filter(desa_id=filters.desa_id)
    if filters.date_from:
        deliveries = deliveries.filter(delivered_on__gte=filters.date_from)
    if filters.date_to:
        deliveries = deliveries.filter(delivered_on__lte=filters.date_to)
    return deliveries.order_by("-delivered_on", "-pk")


def referral_list_for_user(*, user: User, status: str = "") -> QuerySet[Referral]:
    referrals = restrict(
        Referral.objects.select_related(
            "intervention", "opd", "desa", "child", "person", "keluarga", "assigned_to", "delivery"
        ),
        user,
    )
    if status:
        referrals = referrals.filter(status=status)
    return referrals.order_by("due_date", "pk")


def referral_get_for_user(*, user: User, pk: int) -> Referral:
    referral = referral_list_for_user(user=user).filter(pk=pk).first()
    if referral is None:
        raise Http404
    return referral


def writable_interventions_for_user(*, user: User) -> QuerySet[Intervention]:
    """Interventions the user may record deliveries of: his OPD's (OPD officer) or the kabupaten's (Bappeda)."""
    scope = scope_for_user(user)
    interventions = intervention_list_for_user(user=user).filter(is_active=True)
    if scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN:
        return interventions
    if scope.role == Role.OPD_OFFICER:
        return interventions.filter(opd_id=scope.opd_id) if scope.opd_id is not None else interventions.none()
    return interventions.none()


TARGET_GROUP_LABELS = dict(TargetGroup.choices)


def subject_find_for_user(
    *, user: User, nik: str = "", kk_number: str = ""
) -> Child | Person | Keluarga | None:
    """The child or person with this NIK (by its keyed hash), or the family with this KK number, in scope."""
    if nik:
        digits, error = recover_digits(nik)
        if error or not digits:
            return None
        key = nik_hash(digits)
        child = restrict(Child.objects.select_related("desa").filter(nik_hash=key), user).first()
        if child is not None:
            return child
        return restrict(Person.objects.select_related("desa").filter(nik_hash=key), user).first()
    digits, error = recover_digits(kk_number)
    if error or not digits:
        return None
    return restrict(Keluarga.objects.select_related("desa").filter(kk_hash=nik_hash(digits)), user).first()
