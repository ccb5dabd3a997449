"""django-import-export resources of the registries, for export only (the .xlsx/.csv page and the admin).

Registry rows are imported through the e-PPGBM pipeline (children.imports), never through these
resources, so they refuse to import. Each resource is built for one user: NIK and KK numbers come out
through children.access (in full only for roles that need them), and the querysets go through the scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from import_export import fields, resources

from children import pii
from children.access import kk_for_display, nik_for_display
from children.models import Child, Keluarga
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict


def _in_region(prefix: str, region: Region) -> Q:
    return Q(**{f"{prefix}__code": region.code}) | Q(**{f"{prefix}__code__startswith": f"{region.code}."})


def child_export_queryset(
    *, user: User, posyandu: Posyandu | None = None, desa: Region | None = None
) -> QuerySet[Child]:
    """The children `user` may read, with what ChildResource follows (no query per row)."""
    qs = restrict(Child.objects.select_related("posyandu", "desa", "mother"), user)
    if posyandu is not None:
        qs = qs.filter(posyandu=posyandu)
    if desa is not None:
        qs = qs.filter(_in_region("desa", desa))
    return qs.order_by("desa__code", "posyandu__code", "name", "pk")


def keluarga_export_queryset(*, user: User, desa: Region | None = None) -> QuerySet[Keluarga]:
    """The families `user` may read, with their desa."""
    qs = restrict(Keluarga.objects.select_related("desa"), user)
    if desa is not None:
        qs = qs.filter(_in_region("desa", desa))
    return qs.order_by("desa__code", "head_name", "pk")


class ExportOnlyResource(resources.ModelResource):
    """A resource bound to the user it exports for; importing through it is refused."""

    # Headers whose cells are identifiers that must stay text in a spreadsheet.
    TEXT_HEADERS: frozenset[str] = frozenset()

    def __init__(self, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    def import_data(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("registry rows are imported through the e-PPGBM import")


class ChildResource(ExportOnlyResource):
    TEXT_HEADERS = frozenset({"NIK", "Kode Desa"})

    nik = fields.Field(column_name="NIK")
    name = fields.Field(attribute="name", column_name="Nama")
    sex = fields.Field(attribute="sex", column_name="JK")
    birth_date = fields.Field(attribute="birth_date", column_name="Tgl Lahir")
    birth_place = fields.Field(attribute="birth_place", column_name="Tempat Lahir")
    birth_weight_kg = fields.Field(attribute="birth_weight_kg", column_name="BB Lahir")
    birth_length_cm = fields.Field(attribute="birth_length_cm", column_name="TB Lahir")
    mother = fields.Field(column_name="Nama Ibu")
    father_name = fields.Field(attribute="father_name", column_name="Nama Ayah")
    desa_code = fields.Field(attribute="desa__code", column_name="Kode Desa")
    desa_name = fields.Field(attribute="desa__name", column_name="Desa/Kel")
    posyandu = fields.Field(attribute="posyandu__name", column_name="Posyandu")
    rt = fields.Field(attribute="rt", column_name="RT")
    rw = fields.Field(attribute="rw", column_name="RW")
    address = fields.Field(attribute="address", column_name="Alamat")
    has_kia_book = fields.Field(column_name="KIA")
    status = fields.Field(column_name="Status")

    class Meta:
        model = Child
        fields = (
            "id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "birth_weight_kg",
            "birth_length_cm",
            "mother",
            "father_name",
            "desa_code",
            "desa_name",
            "posyandu",
            "rt",
            "rw",
            "address",
            "has_kia_book",
            "status",
        )
        export_order = fields
        chunk_size = 2_000

    def dehydrate_nik(self, child: Child) -> str:
        return nik_for_display(self.user, child.nik_encrypted) if self.user is not None else ""

    def dehydrate_mother(self, child: Child) -> str:
        return child.mother.name if child.mother is not None else child.mother_name

    def dehydrate_has_kia_book(self, child: Child) -> str:
        return "Ya" if child.has_kia_book else "Tidak"

    def dehydrate_status(self, child: Child) -> str:
        return str(child.get_status_display())


class KeluargaResource(ExportOnlyResource):
    TEXT_HEADERS = frozenset({"Nomor KK", "Kode Desa"})

    kk_number = fields.Field(column_name="Nomor KK")
    head_name = fields.Field(attribute="head_name", column_name="Kepala Keluarga")
    desa_code = fields.Field(attribute="desa__code", column_name="Kode Desa")
    desa_name = fields.Field(attribute="desa__name", column_name="Desa/Kel")
    rt = fields.Field(attribute="rt", column_name="RT")
    rw = fields.Field(attribute="rw", column_name="RW")
    address = fields.Field(attribute="address", column_name="Alamat")
    water_source = fields.Field(column_name="Sumber Air Minum")
    latrine = fields.Field(column_name="Jamban")
    jkn = fields.Field(column_name="JKN")
    receives_pkh = fields.Field(column_name="PKH")
    receives_bpnt = fields.Field(column_name="BPNT")
    at_risk = fields.Field(column_name="Berisiko Stunting")

    class Meta:
        model = Keluarga
        fields = (
            "id",
            "kk_number",
            "head_name",
            "desa_code",
            "desa_name",
            "rt",
            "rw",
            "address",
            "water_source",
            "latrine",
            "jkn",
            "receives_pkh",
            "receives_bpnt",
            "at_risk",
        )
        export_order = fields
        chunk_size = 2_000

    def dehydrate_kk_number(self, keluarga: Keluarga) -> str:
        if self.user is None:
            return pii.mask_identifier(pii.decrypt(keluarga.kk_encrypted))
        return kk_for_display(self.user, keluarga.kk_encrypted)

    def dehydrate_water_source(self, keluarga: Keluarga) -> str:
        return str(keluarga.get_water_source_display()) if keluarga.water_source else ""

    def dehydrate_latrine(self, keluarga: Keluarga) -> str:
        return str(keluarga.get_latrine_display()) if keluarga.latrine else ""

    def dehydrate_jkn(self, keluarga: Keluarga) -> str:
        return str(keluarga.get_jkn_display()) if keluarga.jkn else ""

    def dehydrate_receives_pkh(self, keluarga: Keluarga) -> str:
        return "Ya" if keluarga.receives_pkh else "Tidak"

    def dehydrate_receives_bpnt(self, keluarga: Keluarga) -> str:
        return "Ya" if keluarga.receives_bpnt else "Tidak"

    def dehydrate_at_risk(self, keluarga: Keluarga) -> str:
        return "Ya" if keluarga.at_risk else "Tidak"
