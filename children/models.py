from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from children import rules
from children.storage import import_storage

if TYPE_CHECKING:
    from convergence.scoping import Scope


class MinimumWeightGain(models.Model):
    """One row of the KBM table (kenaikan berat badan minimal, Buku KIA / Permenkes 2/2020).

    A version of the table is the set of rows sharing `valid_from`; the version in force on a day is
    the one with the latest `valid_from` on or before it (children.selectors.kbm_table_on).
    """

    valid_from = models.DateField(_("berlaku mulai"))
    age_month_from = models.PositiveSmallIntegerField(_("umur dari (bulan)"))
    age_month_to = models.PositiveSmallIntegerField(_("umur sampai (bulan, termasuk)"))
    min_gain_g = models.PositiveIntegerField(_("kenaikan minimal (gram)"))
    source = models.TextField(_("sumber"))

    class Meta:
        verbose_name = _("kenaikan berat badan minimal (KBM)")
        verbose_name_plural = _("kenaikan berat badan minimal (KBM)")
        ordering = ["-valid_from", "age_month_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["valid_from", "age_month_from"], name="kbm_unique_valid_from_age"
            ),
            models.CheckConstraint(
                condition=models.Q(age_month_to__gte=models.F("age_month_from")), name="kbm_age_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.age_month_from}-{self.age_month_to} bln ≥ {self.min_gain_g} g"


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


class Measurement(models.Model):
    """One anthropometric measurement of a child, with the WHO z-scores computed when it was recorded."""

    class Position(models.TextChoices):
        LYING = "L", _("Telentang (panjang badan)")
        STANDING = "H", _("Berdiri (tinggi badan)")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entri posyandu")
        IMPORT = "import", _("Impor e-PPGBM")
        API = "api", _("API")
        DEMO = "demo", _("Data demo")

    # Served by the unique (child, measured_on) index.
    child = models.ForeignKey(
        Child, verbose_name=_("anak"), on_delete=models.CASCADE, related_name="measurements", db_index=False
    )
    # Served by a composite index below that starts with this column.
    posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("posyandu"),
        on_delete=models.PROTECT,
        related_name="measurements",
        db_index=False,
    )
    measured_on = models.DateField(_("tanggal pengukuran"))
    age_days = models.PositiveIntegerField(_("umur (hari)"))
    weight_kg = models.DecimalField(_("berat (kg)"), max_digits=5, decimal_places=2, null=True, blank=True)
    height_cm = models.DecimalField(
        _("panjang/tinggi (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    position = models.CharField(_("cara ukur"), max_length=1, choices=Position.choices, blank=True)
    oedema = models.BooleanField(_("edema"), default=False)
    lila_cm = models.DecimalField(_("LiLA (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    head_circumference_cm = models.DecimalField(
        _("lingkar kepala (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    vitamin_a = models.BooleanField(_("vitamin A"), default=False)
    pmt_received = models.BooleanField(_("PMT diterima"), default=False)
    pmt_kg = models.DecimalField(
        _("PMT diterima (kg)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Length after the WHO position adjustment (+/-0.7 cm), as the engine used it.
    adjusted_height_cm = models.DecimalField(
        _("panjang/tinggi terkoreksi (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    waz = models.FloatField(_("z BB/U"), null=True, blank=True)
    haz = models.FloatField(_("z TB/U"), null=True, blank=True)
    whz = models.FloatField(_("z BB/TB"), null=True, blank=True)
    baz = models.FloatField(_("z IMT/U"), null=True, blank=True)
    hcz = models.FloatField(_("z LK/U"), null=True, blank=True)
    acz = models.FloatField(_("z LiLA/U"), null=True, blank=True)
    # Permenkes 2/2020 category codes of children.growth.classify (-1 not computed, -2 WHO flag).
    waz_category = models.SmallIntegerField(_("kategori BB/U"), default=-1)
    haz_category = models.SmallIntegerField(_("kategori TB/U"), default=-1)
    whz_category = models.SmallIntegerField(_("kategori BB/TB"), default=-1)
    baz_category = models.SmallIntegerField(_("kategori IMT/U"), default=-1)
    # children.growth.weight_gain codes: N, T, 2T, O, B (-1 not assessed).
    weight_gain = models.SmallIntegerField(_("naik berat badan"), default=-1)
    # children.growth.codes ERROR_* bits the engine raised (WHO flags, missing inputs); 0 = clean.
    error_flags = models.IntegerField(_("tanda kesalahan"), default=0)
    # The kader confirmed an implausible value by measuring again (WHO flag, shrinking height).
    remeasure_confirmed = models.BooleanField(_("sudah diukur ulang"), default=False)
    source = models.CharField(_("sumber"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    # Made by the phone or page that entered the measurement, so that a resent entry (a lost answer, an
    # offline batch synced twice) finds the row it made instead of adding a second one.
    client_id = models.UUIDField(_("ID entri perangkat"), null=True, blank=True, unique=True, editable=False)
    # The row as the imported file wrote it ({header: cell}), kept for the rows a reviewer reads again:
    # those with a warning and those that changed stored data. Every imported row is found in its
    # file through import_job (an upload keeps the file) and import_row.
    raw = models.JSONField(_("nilai asli impor"), null=True, blank=True, editable=False)
    import_row = models.PositiveIntegerField(_("baris berkas impor"), null=True, blank=True, editable=False)
    # import_job and measured_by are audit pointers without a database constraint: the bulk import
    # writes them on every row with ids it holds (the job it runs, the uploader), and PostgreSQL's
    # check of each one (a look-up per inserted row) took a tenth of the import's database time.
    # on_delete=SET_NULL is carried out by Django's deletion collector either way.
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("impor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_constraint=False,
    )
    # Never filtered on; an index would only slow the bulk import.
    measured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pengukuran")
        verbose_name_plural = _("pengukuran")
        ordering = ["child_id", "measured_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "measured_on"], name="measurement_once_per_child_and_day"
            ),
            models.CheckConstraint(
                condition=models.Q(position__in=["", "L", "H"]), name="measurement_position"
            ),
            # The plausibility bounds of children.rules, the table every entry point applies.
            *rules.check_constraints("measurement"),
        ]
        indexes = [models.Index(fields=["posyandu", "measured_on"]), models.Index(fields=["measured_on"])]

    def __str__(self) -> str:
        return f"{self.child} {self.measured_on}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="child__desa", posyandu="posyandu")


class Pregnancy(models.Model):
    """A pregnancy episode of a woman in the registry, from HPHT to delivery and nifas.

    The KEK/anaemia/risk fields and the TTD and ANC totals are derived from the visits by
    children.services.pregnancy_refresh (children.compute.pregnancy) and stored for lists and gap queries.
    """

    class Outcome(models.TextChoices):
        ONGOING = "berlangsung", _("Masih hamil")
        LIVE_BIRTH = "lahir_hidup", _("Lahir hidup")
        STILLBIRTH = "lahir_mati", _("Lahir mati")
        MISCARRIAGE = "keguguran", _("Keguguran")

    # Depkes 2010 risk history items recorded by the midwife; the "4 terlalu" are computed.
    class RiskFactor(models.TextChoices):
        HEIGHT_UNDER_145 = "tb_kurang_145", _("Tinggi badan < 145 cm")
        HYPERTENSION_HISTORY = "riwayat_hipertensi", _("Riwayat hipertensi")
        CHRONIC_DISEASE = "penyakit_kronis", _("Penyakit kronis (TB, jantung, ginjal, hati, DM, dll.)")
        BAD_OBSTETRIC_HISTORY = "riwayat_obstetri_buruk", _("Riwayat obstetri buruk")
        COMPLICATED_DELIVERY = "persalinan_lalu_dengan_tindakan", _("Persalinan lalu dengan tindakan")
        MULTIPLE = "kehamilan_ganda", _("Kehamilan ganda")
        MALPOSITION = "kelainan_letak", _("Kelainan letak janin")
        OTHER = "lainnya", _("Lainnya")

    mother = models.ForeignKey(
        Person, verbose_name=_("ibu"), on_delete=models.PROTECT, related_name="pregnancies"
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    posyandu = models.ForeignKey(
        "convergence.Posyandu",
        verbose_name=_("posyandu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pregnancies",
    )
    lmp_date = models.DateField(_("HPHT"), null=True, blank=True)
    expected_delivery_date = models.DateField(_("HPL"), null=True, blank=True)
    gravida = models.PositiveSmallIntegerField(_("kehamilan ke (G)"), default=1)
    parity = models.PositiveSmallIntegerField(_("persalinan (P)"), default=0)
    abortus = models.PositiveSmallIntegerField(_("keguguran (A)"), default=0)
    last_delivery_date = models.DateField(_("tanggal persalinan sebelumnya"), null=True, blank=True)
    height_cm = models.DecimalField(
        _("tinggi badan ibu (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    pre_pregnancy_weight_kg = models.DecimalField(
        _("berat sebelum hamil (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    risk_history = models.JSONField(_("riwayat faktor risiko"), default=list, blank=True)
    outcome = models.CharField(_("hasil"), max_length=12, choices=Outcome.choices, default=Outcome.ONGOING)
    delivery_date = models.DateField(_("tanggal persalinan"), null=True, blank=True)
    newborn = models.ForeignKey(
        Child,
        verbose_name=_("bayi"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="birth_pregnancies",
    )
    postnatal_visits = models.PositiveSmallIntegerField(_("kunjungan nifas"), default=0)
    # Derived from the visits and the risk rules (children.compute.pregnancy); never entered.
    ttd_total = models.PositiveIntegerField(_("TTD diterima (tablet)"), default=0, editable=False)
    anc_visits = models.PositiveSmallIntegerField(_("kunjungan ANC"), default=0, editable=False)
    is_kek = models.BooleanField(_("KEK"), default=False, editable=False)
    is_anaemic = models.BooleanField(_("anemia"), default=False, editable=False)
    is_high_risk = models.BooleanField(_("risiko tinggi"), default=False, editable=False)
    risk_flags = models.JSONField(_("tanda risiko"), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kehamilan")
        verbose_name_plural = _("kehamilan")
        ordering = ["-lmp_date"]
        indexes = [models.Index(fields=["desa", "outcome"]), models.Index(fields=["mother", "lmp_date"])]

    def __str__(self) -> str:
        return f"{self.mother} G{self.gravida}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        # A desa's pregnant women attend any of its posyandu: a kader follows those of her desa.
        return scope.q(desa="desa")


class PregnancyVisit(models.Model):
    """One antenatal (or other) contact: weight, LiLA, Hb, blood pressure and TTD given."""

    pregnancy = models.ForeignKey(
        Pregnancy, verbose_name=_("kehamilan"), on_delete=models.CASCADE, related_name="visits"
    )
    visit_date = models.DateField(_("tanggal kunjungan"))
    is_anc = models.BooleanField(_("pemeriksaan ANC"), default=True)
    weight_kg = models.DecimalField(_("berat (kg)"), max_digits=4, decimal_places=1, null=True, blank=True)
    lila_cm = models.DecimalField(_("LiLA (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    hb_g_dl = models.DecimalField(_("Hb (g/dL)"), max_digits=3, decimal_places=1, null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(_("tekanan darah sistolik"), null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(_("tekanan darah diastolik"), null=True, blank=True)
    ttd_tablets = models.PositiveSmallIntegerField(_("TTD diberikan (tablet)"), default=0)
    place = models.CharField(_("tempat"), max_length=80, blank=True)
    notes = models.TextField(_("catatan"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kunjungan kehamilan")
        verbose_name_plural = _("kunjungan kehamilan")
        ordering = ["pregnancy_id", "visit_date"]
        constraints = [
            models.UniqueConstraint(fields=["pregnancy", "visit_date"], name="pregnancy_visit_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.pregnancy} {self.visit_date}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="pregnancy__desa")


class AdolescentGirl(models.Model):
    """An adolescent girl (remaja putri, 12-18) followed for weekly TTD, usually at school."""

    person = models.OneToOneField(
        Person, verbose_name=_("penduduk"), on_delete=models.CASCADE, related_name="adolescent"
    )
    school_name = models.CharField(_("sekolah"), max_length=120, blank=True)
    school_class = models.CharField(_("kelas"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("remaja putri")
        verbose_name_plural = _("remaja putri")
        ordering = ["person__name"]

    def __str__(self) -> str:
        return str(self.person)

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="person__desa")


class AdolescentTTD(models.Model):
    """TTD taken by an adolescent girl in one week (the guideline: one tablet a week, 52 weeks a year)."""

    girl = models.ForeignKey(
        AdolescentGirl, verbose_name=_("remaja putri"), on_delete=models.CASCADE, related_name="ttd"
    )
    week_start = models.DateField(_("minggu (Senin)"))
    tablets = models.PositiveSmallIntegerField(_("tablet"), default=1)
    given_at = models.CharField(_("tempat pemberian"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("TTD remaja putri")
        verbose_name_plural = _("TTD remaja putri")
        ordering = ["girl_id", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["girl", "week_start"], name="adolescent_ttd_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.girl} {self.week_start}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.q(desa="girl__person__desa")


class DuplicateCandidate(models.Model):
    """A pair of records that are probably one person, waiting for puskesmas/Bappeda review.

    Exact NIK/KK matches never get here (they are refused at entry); this queue holds the likely ones.
    The pair is stored with the lower id first so a pair is queued once.
    """

    class Kind(models.TextChoices):
        CHILD = "anak", _("Anak")
        PERSON = "penduduk", _("Penduduk")
        KELUARGA = "keluarga", _("Keluarga")

    class Reason(models.TextChoices):
        SAME_MOTHER_BIRTH_DATE_SEX = "ibu_tgl_lahir_jk", _("Ibu, tanggal lahir dan jenis kelamin sama")
        SIMILAR_NAME_BIRTH_DATE = (
            "nama_mirip_tgl_lahir",
            _("Nama mirip dan tanggal lahir sama di desa yang sama"),
        )
        # Someone whose scope does not hold the record tried to register its NIK or KK number: the
        # registration was refused and only the record (side A) is queued, with who tried.
        NIK_OUTSIDE_SCOPE = "nik_luar_wilayah", _("NIK yang sama didaftarkan dari luar wilayah")
        KK_OUTSIDE_SCOPE = "kk_luar_wilayah", _("Nomor KK yang sama didaftarkan dari luar wilayah")
        # An imported row matched the child (side A) only by name, birth date and sex while naming
        # another posyandu: the row was not imported, someone must say whether it is the same child.
        IMPORT_OTHER_POSYANDU = "impor_posyandu_lain", _("Baris impor cocok dengan anak di posyandu lain")

    class Status(models.TextChoices):
        OPEN = "terbuka", _("Menunggu tinjauan")
        MERGED = "digabung", _("Digabung")
        DISMISSED = "bukan_duplikat", _("Bukan duplikat")

    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    child_a = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("anak A")
    )
    child_b = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("anak B")
    )
    person_a = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("penduduk A"),
    )
    person_b = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("penduduk B"),
    )
    keluarga_a = models.ForeignKey(
        Keluarga,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("keluarga"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("didaftarkan ulang oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("alasan"), max_length=24, choices=Reason.choices)
    similarity = models.FloatField(_("kemiripan nama"), default=0.0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("ditemukan"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ditinjau oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("ditinjau"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("calon duplikat")
        verbose_name_plural = _("calon duplikat")
        ordering = ["status", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["child_a", "child_b"], name="duplicate_child_pair_once"),
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_person_pair_once"),
        ]
        indexes = [models.Index(fields=["desa", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if not scope.is_kader:
            return scope.q(desa="desa")
        # Both records of the pair in her sight (a kader reads the queue, puskesmas officers merge).
        return (
            kader_sees(scope, "child_a", Child)
            & (models.Q(child_b__isnull=True) | kader_sees(scope, "child_b", Child))
        ) | (
            kader_sees(scope, "person_a", Person)
            & (models.Q(person_b__isnull=True) | kader_sees(scope, "person_b", Person))
        )


class MergeLog(models.Model):
    """The audit of one merge: who merged which record into which, and everything the removed one held.

    `removed` is the removed record's fields (NIK only as ciphertext) and `moved` the counts of rows
    moved to the survivor; same-day measurements the survivor already had are kept in `removed`.
    """

    kind = models.CharField(_("jenis"), max_length=10, choices=DuplicateCandidate.Kind.choices)
    survivor_child = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("anak")
    )
    survivor_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("penduduk")
    )
    removed_id = models.PositiveBigIntegerField(_("id yang digabung"))
    removed = models.JSONField(_("data yang digabung"))
    moved = models.JSONField(_("data yang dipindah"), default=dict)
    candidate = models.ForeignKey(
        DuplicateCandidate, on_delete=models.SET_NULL, null=True, blank=True, related_name="merges"
    )
    desa = models.ForeignKey(
        "convergence.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="+"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("digabung oleh"), on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("digabung"), auto_now_add=True)

    class Meta:
        verbose_name = _("riwayat penggabungan")
        verbose_name_plural = _("riwayat penggabungan")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.removed_id} -> {self.survivor_child_id or self.survivor_person_id}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if not scope.is_kader:
            return scope.q(desa="desa")
        return kader_sees(scope, "survivor_child", Child) | kader_sees(scope, "survivor_person", Person)


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


class ImportJob(models.Model):
    """One uploaded file of the e-PPGBM layout (or the posyandu register template) and its dry run/apply."""

    class Status(models.TextChoices):
        QUEUED = "antre", _("Dalam antrean")
        CHECKING = "diperiksa", _("Sedang diperiksa")
        CHECKED = "siap", _("Siap diterapkan")
        APPLYING = "diterapkan", _("Sedang diterapkan")
        APPLIED = "selesai", _("Selesai diterapkan")
        FAILED = "gagal", _("Gagal")

    # Sealed at rest (children.storage); deleted after IMPORT_FILE_RETENTION_DAYS (file_deleted_at).
    file = models.FileField(_("berkas"), upload_to="imports/%Y/%m/", storage=import_storage, blank=True)
    file_deleted_at = models.DateTimeField(_("berkas dihapus"), null=True, blank=True, editable=False)
    original_name = models.CharField(_("nama berkas"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diunggah oleh"), on_delete=models.PROTECT, related_name="+"
    )
    # Code prefix of the uploader's unit (e.g. "35.60." or a desa code): who else may see the job.
    scope_code = models.CharField(_("wilayah"), max_length=20, blank=True)
    # Bappeda's choice: create the puskesmas and posyandu the file names and the district lacks; the
    # summary then lists them under "places" (children.imports.places).
    create_places = models.BooleanField(_("buat puskesmas dan posyandu yang belum ada"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("jumlah baris"), default=0)
    rows_done = models.PositiveIntegerField(_("baris diproses"), default=0)
    # Counts per action of the dry run, then of the apply: create/update/unchanged/merge/reject.
    summary = models.JSONField(_("ringkasan"), default=dict, blank=True)
    error = models.TextField(_("kesalahan"), blank=True)
    # Row issues beyond settings.IMPORT_MAX_ISSUES_STORED: counted, not stored (a broken file must not
    # write millions of issue rows).
    issues_not_stored = models.PositiveIntegerField(_("catatan tidak disimpan"), default=0)
    task_id = models.CharField(max_length=50, blank=True, editable=False)
    created_at = models.DateTimeField(_("diunggah"), auto_now_add=True)
    checked_at = models.DateTimeField(_("diperiksa"), null=True, blank=True)
    applied_at = models.DateTimeField(_("diterapkan"), null=True, blank=True)

    class Meta:
        verbose_name = _("impor data")
        verbose_name_plural = _("impor data")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        return 100 if not self.rows_total else min(100, round(100 * self.rows_done / self.rows_total))

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if scope.is_superuser:
            return models.Q()
        if scope.is_empty:
            return models.Q(pk__in=[])
        if scope.is_district_wide and scope.kabupaten_code:
            return models.Q(scope_code__startswith=f"{scope.kabupaten_code}.")
        return models.Q(uploaded_by_id=scope.user_id)


class ImportRowIssue(models.Model):
    """A rejected row, a row sent to the duplicate queue, or a warning of an import, with its reasons."""

    class Action(models.TextChoices):
        REJECTED = "ditolak", _("Ditolak")
        DUPLICATE = "duplikat", _("Calon duplikat")
        WARNING = "peringatan", _("Peringatan")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField(_("baris"))
    action = models.CharField(_("tindakan"), max_length=10, choices=Action.choices)
    field = models.CharField(_("kolom"), max_length=60, blank=True)
    message = models.TextField(_("pesan"))

    class Meta:
        verbose_name = _("catatan baris impor")
        verbose_name_plural = _("catatan baris impor")
        ordering = ["job_id", "row_number"]
        indexes = [models.Index(fields=["job", "action", "row_number"])]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.message}"
