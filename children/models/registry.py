"""Models of the registry: families, people, children, and the log of who read their records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from convergence.scoping import Scope


class Sex(models.TextChoices):
    LAKI_LAKI = "L", _("Laki-laki")
    PEREMPUAN = "P", _("Perempuan")


class NIKFields(models.Model):
    """NIK kept encrypted at rest with a keyed hash for exact look-up (children.pii); never in plaintext.

    UU 27/2022 treats children's health data as specific personal data: a database dump must not hold
    a readable NIK, so the only plaintext NIK lives in memory while a form or import is processed.
    """

    nik_encrypted = models.TextField(_("NIK (terenkripsi)"), blank=True, editable=False)
    # Looked up through the partial unique index of each concrete model (no second plain index).
    nik_hash = models.CharField(_("hash NIK"), max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def has_nik(self) -> bool:
        return bool(self.nik_hash)


class KKFields(models.Model):
    """The family card (KK) number, protected like a NIK: encrypted, with a keyed hash for exact look-up."""

    kk_encrypted = models.TextField(_("nomor KK (terenkripsi)"), blank=True, editable=False)
    kk_hash = models.CharField(_("hash nomor KK"), max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def has_kk(self) -> bool:
        return bool(self.kk_hash)


class AddressFields(models.Model):
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)

    class Meta:
        abstract = True


class Keluarga(KKFields, AddressFields):
    """A family (Kartu Keluarga) at an address: the unit sensitive interventions reach."""

    class WaterSource(models.TextChoices):
        UNKNOWN = "", _("Belum didata")
        PIPED = "ledeng", _("Ledeng/PDAM")
        PROTECTED_WELL = "sumur_terlindung", _("Sumur bor/terlindung")
        PROTECTED_SPRING = "mata_air_terlindung", _("Mata air terlindung")
        RAINWATER = "air_hujan", _("Penampungan air hujan")
        BOTTLED = "kemasan", _("Air kemasan/isi ulang")
        UNPROTECTED = "tidak_terlindung", _("Sumur/mata air tidak terlindung")
        SURFACE = "permukaan", _("Sungai/danau/irigasi")

    class Latrine(models.TextChoices):
        UNKNOWN = "", _("Belum didata")
        OWN_SAFE = "sendiri_layak", _("Jamban sendiri dengan septic tank")
        SHARED = "bersama", _("Jamban bersama")
        UNSAFE = "tidak_layak", _("Jamban tidak layak")
        OPEN = "bab_sembarangan", _("Buang air besar sembarangan")

    class JKN(models.TextChoices):
        UNKNOWN = "", _("Belum didata")
        NONE = "tidak", _("Tidak punya JKN")
        PBI = "pbi", _("JKN PBI")
        NON_PBI = "non_pbi", _("JKN non-PBI")

    # BKKBN's criteria of a family at risk of stunting (keluarga berisiko stunting).
    class AtRiskReason(models.TextChoices):
        UNSAFE_WATER = "air_tidak_layak", _("Sumber air minum tidak layak")
        UNSAFE_LATRINE = "jamban_tidak_layak", _("Jamban tidak layak")
        MOTHER_4T = "ibu_4t", _("Ibu dengan 4 Terlalu")
        HAS_BADUTA = "ada_baduta", _("Ada baduta")
        HAS_BALITA = "ada_balita", _("Ada balita")
        HAS_PREGNANT = "ada_ibu_hamil", _("Ada ibu hamil")
        PUS_NO_KB = "pus_tidak_kb", _("Pasangan usia subur tidak ber-KB")
        POOR = "miskin", _("Keluarga miskin")

    SAFE_WATER = frozenset(
        {WaterSource.PIPED, WaterSource.PROTECTED_WELL, WaterSource.PROTECTED_SPRING, WaterSource.RAINWATER}
    )

    head_name = models.CharField(_("kepala keluarga"), max_length=120)
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    water_source = models.CharField(
        _("sumber air minum"), max_length=24, choices=WaterSource.choices, blank=True
    )
    latrine = models.CharField(_("jamban"), max_length=20, choices=Latrine.choices, blank=True)
    jkn = models.CharField(_("JKN"), max_length=8, choices=JKN.choices, blank=True)
    receives_pkh = models.BooleanField(_("penerima PKH"), default=False)
    receives_bpnt = models.BooleanField(_("penerima BPNT/sembako"), default=False)
    at_risk = models.BooleanField(_("keluarga berisiko stunting"), default=False)
    at_risk_reasons = models.JSONField(_("alasan berisiko"), default=list, blank=True)
    # The kader's posyandu that registered the family: she keeps it in sight before a child links it.
    registered_posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("didaftarkan di posyandu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("keluarga")
        verbose_name_plural = _("keluarga")
        ordering = ["head_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kk_hash"], condition=~models.Q(kk_hash=""), name="keluarga_kk_hash_unique"
            )
        ]
        indexes = [models.Index(fields=["desa", "head_name"])]

    def __str__(self) -> str:
        return self.head_name

    @property
    def has_safe_water(self) -> bool | None:
        return None if not self.water_source else self.water_source in self.SAFE_WATER

    @property
    def has_safe_latrine(self) -> bool | None:
        return None if not self.latrine else self.latrine == self.Latrine.OWN_SAFE

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if scope.is_kader:
            return _kader_keluarga_q(scope, "pk")
        return scope.q(desa="desa")


def kader_sees(scope: Scope, path: str, model: type[Child] | type[Person] | type[Keluarga]) -> models.Q:
    """Rows whose `path` points at a `model` row (Child, Person, Keluarga) the kader sees: rows about a
    child or a family follow the child's or the family's own rule, written once in its scope_q."""
    return models.Q(**{f"{path}__in": model._default_manager.filter(model.scope_q(scope)).values("pk")})


def _kader_keluarga_q(scope: Scope, keluarga: str) -> models.Q:
    """Families (reached through the field `keluarga`) of a child of the kader's posyandu, or that she
    registered (docs/privacy.md, "Siapa melihat apa")."""
    # A kader's scope always names her posyandu (Scope.is_kader).
    of_her_child = Child.objects.filter(keluarga=models.OuterRef(keluarga), posyandu_id=scope.posyandu_id)  # type: ignore[misc]
    registered = "registered_posyandu_id" if keluarga == "pk" else f"{keluarga}__registered_posyandu_id"
    return models.Q(models.Exists(of_her_child)) | models.Q(**{registered: scope.posyandu_id})


class Person(NIKFields, AddressFields):
    """An adult or adolescent in the registry: a mother, a pregnant woman, an adolescent girl."""

    name = models.CharField(_("nama"), max_length=120)
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    birth_place = models.CharField(_("tempat lahir"), max_length=80, blank=True)
    keluarga = models.ForeignKey(
        Keluarga,
        verbose_name=_("keluarga"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("nomor HP"), max_length=20, blank=True)
    # The kader's posyandu that registered the person: she keeps her in sight before a child links her.
    registered_posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("didaftarkan di posyandu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("penduduk")
        verbose_name_plural = _("penduduk")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["nik_hash"], condition=~models.Q(nik_hash=""), name="person_nik_unique"
            ),
            models.CheckConstraint(condition=models.Q(sex__in=["L", "P"]), name="person_sex_l_or_p"),
        ]
        indexes = [models.Index(fields=["desa", "birth_date"])]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if not scope.is_kader:
            return scope.q(desa="desa")
        # A kader sees the people of her posyandu's children and the women her desa follows without a
        # posyandu (pregnancies, adolescent girls): docs/privacy.md, "Siapa melihat apa".
        from children.models.maternal import Pregnancy  # maternal's models point at Person

        posyandu_id, desa_id = scope.posyandu_id, scope.desa_id
        mother = Child.objects.filter(mother=models.OuterRef("pk"), posyandu_id=posyandu_id)  # type: ignore[misc]
        pregnant = Pregnancy.objects.filter(mother=models.OuterRef("pk"), desa_id=desa_id)
        return (
            models.Q(registered_posyandu_id=posyandu_id)
            | models.Q(models.Exists(mother))
            | (models.Q(keluarga__isnull=False) & _kader_keluarga_q(scope, "keluarga"))
            | models.Q(models.Exists(pregnant))
            | models.Q(desa_id=desa_id, adolescent__isnull=False)
        )


class Child(NIKFields, AddressFields):
    """A child 0-59 months in the by-name-by-address registry, registered at a posyandu."""

    Sex = Sex

    class Status(models.TextChoices):
        ACTIVE = "aktif", _("Aktif")
        MOVED = "pindah", _("Pindah")
        DIED = "meninggal", _("Meninggal")

    name = models.CharField(_("nama"), max_length=120)
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("tanggal lahir"))
    birth_place = models.CharField(_("tempat lahir"), max_length=80, blank=True)
    birth_order = models.PositiveSmallIntegerField(_("anak ke"), null=True, blank=True)
    birth_weight_kg = models.DecimalField(
        _("berat lahir (kg)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    birth_length_cm = models.DecimalField(
        _("panjang lahir (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    birth_head_circumference_cm = models.DecimalField(
        _("lingkar kepala lahir (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    gestational_age_weeks = models.PositiveSmallIntegerField(
        _("usia kehamilan saat lahir (minggu)"), null=True, blank=True
    )
    early_breastfeeding = models.BooleanField(_("IMD"), null=True, blank=True)
    # Served by a composite index below that starts with this column.
    mother = models.ForeignKey(
        Person,
        verbose_name=_("ibu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        db_index=False,
    )
    # Names as written on the register when the parent is not (yet) a Person of the registry.
    mother_name = models.CharField(_("nama ibu"), max_length=120, blank=True)
    father_name = models.CharField(_("nama ayah"), max_length=120, blank=True)
    parent_phone = models.CharField(_("nomor HP orang tua"), max_length=20, blank=True)
    keluarga = models.ForeignKey(
        Keluarga,
        verbose_name=_("keluarga"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    # Served by a composite index below that starts with this column.
    posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("posyandu"),
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,
    )
    # The desa of the child's address: the unit puskesmas officers and KPM are scoped by.
    # Served by a composite index below that starts with this column.
    desa = models.ForeignKey(
        "convergence.Region",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    has_birth_certificate = models.BooleanField(_("punya akta kelahiran"), default=False)
    has_jkn = models.BooleanField(_("punya JKN"), default=False)
    # K of SKDN: registered and holding a KMS / Buku KIA.
    has_kia_book = models.BooleanField(_("punya KMS/Buku KIA"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("impor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("anak")
        verbose_name_plural = _("anak")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=["L", "P"]), name="child_sex_l_or_p"),
            models.UniqueConstraint(
                fields=["nik_hash"], condition=~models.Q(nik_hash=""), name="child_nik_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["posyandu", "birth_date"]),
            models.Index(fields=["desa", "birth_date"]),
            models.Index(fields=["mother", "birth_date"]),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="desa", posyandu="posyandu")


class RecordAccess(models.Model):
    """One read of personal records (a child's or a mother's page, an API read, an export): who and when."""

    class Kind(models.TextChoices):
        CHILD = "anak", _("Anak")
        PERSON = "penduduk", _("Penduduk")
        PREGNANCY = "kehamilan", _("Kehamilan")
        KELUARGA = "keluarga", _("Keluarga")
        # One NIK/KK look-up, hit or miss: record_count is the number found (never the number sought).
        LOOKUP = "pencarian", _("Pencarian NIK/KK")

    class Channel(models.TextChoices):
        PAGE = "halaman", _("Halaman")
        API = "api", _("API")
        EXPORT = "ekspor", _("Ekspor")
        ADMIN = "admin", _("Admin")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pengguna"), on_delete=models.PROTECT, related_name="+"
    )
    accessed_at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    # One record read, or (object_id null) a list/export of `record_count` records.
    object_id = models.PositiveBigIntegerField(_("id data"), null=True, blank=True)
    record_count = models.PositiveIntegerField(_("jumlah data"), default=1)
    channel = models.CharField(_("saluran"), max_length=10, choices=Channel.choices)
    # The path without its query string: never a NIK (NIKs do not go in URLs).
    path = models.CharField(_("alamat"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("akses data pribadi")
        verbose_name_plural = _("akses data pribadi")
        ordering = ["-accessed_at"]
        indexes = [models.Index(fields=["kind", "object_id"]), models.Index(fields=["user", "accessed_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.object_id} {self.accessed_at:%Y-%m-%d %H:%M}"
