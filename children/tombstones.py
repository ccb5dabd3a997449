"""The registry's synced lists for the changes feed (convergence.tombstones): where a removed record was,
so its tombstone is scoped like the record. Registered by ChildrenConfig.ready()."""

from __future__ import annotations

from children.models import AdolescentGirl, Child, Keluarga, Measurement, Person, Pregnancy
from convergence.tombstones import Place, area_q, synced_kind_register


def _posyandu_of_family(keluarga: Keluarga) -> int | None:
    # A kader sees a family she registered or that a child of her posyandu belongs to (docs/privacy.md).
    if keluarga.registered_posyandu_id:
        return keluarga.registered_posyandu_id
    return Child.objects.filter(keluarga=keluarga).values_list("posyandu_id", flat=True).first()


def _posyandu_of_person(person: Person) -> int | None:
    # As for a family: the posyandu that registered her, or of her child; else she is followed by desa.
    if person.registered_posyandu_id:
        return person.registered_posyandu_id
    return Child.objects.filter(mother=person).values_list("posyandu_id", flat=True).first()


def register() -> None:
    synced_kind_register(
        Child,
        kind="children",
        place=lambda child: Place(region_id=child.desa_id, posyandu_id=child.posyandu_id),
        scope_q=area_q,
    )
    synced_kind_register(
        Measurement,
        kind="measurements",
        place=lambda row: Place(region_id=row.child.desa_id, posyandu_id=row.posyandu_id),
        scope_q=area_q,
    )
    synced_kind_register(
        Keluarga,
        kind="keluarga",
        place=lambda row: Place(region_id=row.desa_id, posyandu_id=_posyandu_of_family(row)),
        scope_q=area_q,
    )
    synced_kind_register(
        Person,
        kind="persons",
        place=lambda row: Place(region_id=row.desa_id, posyandu_id=_posyandu_of_person(row)),
        scope_q=area_q,
    )
    # Followed by desa (a kader follows her desa's pregnant women and adolescent girls).
    synced_kind_register(
        Pregnancy, kind="pregnancies", place=lambda row: Place(region_id=row.desa_id), scope_q=area_q
    )
    synced_kind_register(
        AdolescentGirl,
        kind="adolescent-girls",
        place=lambda row: Place(region_id=row.person.desa_id),
        scope_q=area_q,
    )
