from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from convergence.codes import Level, name_with_level

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from convergence.scoping import Scope

NOTHING = Q(pk__in=[])

RETIRED_LABEL = _("(tidak berlaku)")


def ancestor_codes(code: str) -> list[str]:
    """'35.10.01.2001' -> ['35', '35.10', '35.10.01']."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


class RegionQuerySet(models.QuerySet["Region"]):
    def active(self) -> RegionQuerySet:
        """The regions the current official list still carries: for pickers, new records and rankings."""
        return self.filter(retired_at__isnull=True)


class Region(models.Model):
    """A Kemendagri region: provinsi, kabupaten/kota, kecamatan, desa/kelurahan (dotted code).

    A region that a newer official list no longer carries is retired, never deleted: the people,
    measurements and summaries recorded there keep their place.
    """

    class LevelChoices(models.TextChoices):
        PROVINSI = Level.PROVINSI.value, _("Provinsi")
        KABUPATEN = Level.KABUPATEN.value, _("Kabupaten")
        KOTA = Level.KOTA.value, _("Kota")
        KECAMATAN = Level.KECAMATAN.value, _("Kecamatan")
        DESA = Level.DESA.value, _("Desa")
        KELURAHAN = Level.KELURAHAN.value, _("Kelurahan")

    code = models.CharField(_("kode wilayah"), max_length=13, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    level = models.CharField(_("tingkat"), max_length=10, choices=LevelChoices.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subregions",
    )
    # The puskesmas whose working area (wilayah kerja) holds this desa/kelurahan.
    puskesmas = models.ForeignKey(
        "Puskesmas",
        verbose_name=_("puskesmas"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desa_set",
    )
    valid_from = models.DateField(_("berlaku sejak"), null=True, blank=True)
    # Set by `load_regions --retire-missing` when the official list drops the code; cleared when a
    # later list carries it again.
    retired_at = models.DateTimeField(_("tidak berlaku sejak"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="provinsi", parent__isnull=True)
                | (~Q(level="provinsi") & Q(parent__isnull=False)),
                name="region_parent_unless_provinsi",
            ),
            models.CheckConstraint(
                condition=Q(puskesmas__isnull=True) | Q(level__in=["desa", "kelurahan"]),
                name="region_puskesmas_only_on_desa",
            ),
        ]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        if self.retired_at is not None:
            return f"{self.display_name} {RETIRED_LABEL}"
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name with its level word, printed once: 'Kabupaten Banyuwangi' whether stored so or not."""
        return name_with_level(self.name, self.level, str(self.get_level_display()))

    @property
    def name_label(self) -> str:
        """The stored name, marked when retired: for columns whose heading already says the level."""
        return f"{self.name} {RETIRED_LABEL}" if self.retired_at is not None else self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def is_desa_level(self) -> bool:
        return self.level in (Level.DESA, Level.KELURAHAN)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """A user sees the regions of his unit, everything below it and its ancestors (to navigate)."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_district_wide:
            code = scope.kabupaten_code or ""
            return Q(code__startswith=f"{code}.") | Q(code__in=[*ancestor_codes(code), code])
        if scope.puskesmas_id is not None:
            code = scope.kecamatan_code or ""
            return Q(puskesmas_id=scope.puskesmas_id) | Q(code__in=[*ancestor_codes(code), code])
        code = scope.desa_code or ""
        return Q(code__in=[*ancestor_codes(code), code])


class Puskesmas(models.Model):
    """A puskesmas, registered under a kecamatan with a local code; covers a set of desa."""

    kecamatan = models.ForeignKey(
        Region, verbose_name=_("kecamatan"), on_delete=models.PROTECT, related_name="puskesmas_set"
    )
    code = models.CharField(_("kode"), max_length=20)
    name = models.CharField(_("nama"), max_length=120)

    class Meta:
        verbose_name = _("puskesmas")
        verbose_name_plural = _("puskesmas")
        ordering = ["kecamatan__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kecamatan", "code"], name="puskesmas_code_unique_in_kecamatan")
        ]

    def __str__(self) -> str:
        return name_with_level(self.name, Level.PUSKESMAS)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        if scope.is_district_wide:
            return Q(kecamatan__code__startswith=f"{scope.kabupaten_code}.")
        if scope.puskesmas_id is not None:
            return Q(pk=scope.puskesmas_id)
        return Q(desa_set__id=scope.desa_id)


class Posyandu(models.Model):
    """A posyandu in a desa/kelurahan, with a local code unique in that desa."""

    desa = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="posyandu_set"
    )
    code = models.CharField(_("kode"), max_length=20)
    name = models.CharField(_("nama"), max_length=120)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    # S of SKDN until the by-name registry holds every balita: children 0-59 months in the area.
    target_balita = models.PositiveIntegerField(_("sasaran balita"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("posyandu")
        verbose_name_plural = _("posyandu")
        ordering = ["desa__code", "code"]
        constraints = [models.UniqueConstraint(fields=["desa", "code"], name="posyandu_code_unique_in_desa")]

    def __str__(self) -> str:
        return name_with_level(self.name, Level.POSYANDU)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.q(desa="desa", posyandu="")


class DesaLokus(models.Model):
    """A desa/kelurahan chosen as priority location (lokus) for a year, by regent decree."""

    desa = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.CASCADE, related_name="lokus"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    decree_number = models.CharField(_("nomor SK"), max_length=80, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("desa lokus")
        verbose_name_plural = _("desa lokus")
        ordering = ["-year", "desa__code"]
        constraints = [models.UniqueConstraint(fields=["desa", "year"], name="desa_lokus_once_per_year")]

    def __str__(self) -> str:
        return f"{self.desa} ({self.year})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.q(desa="desa")


class OPD(models.Model):
    """A regional government agency (Organisasi Perangkat Daerah) taking part in convergence."""

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="opd_set"
    )
    code = models.CharField(_("kode"), max_length=20)
    name = models.CharField(_("nama"), max_length=160)
    short_name = models.CharField(_("singkatan"), max_length=40)
    is_leading_sector = models.BooleanField(_("leading sector"), default=False)
    tupoksi = models.TextField(_("tugas pokok dan fungsi"), blank=True)

    class Meta:
        verbose_name = _("OPD")
        verbose_name_plural = _("OPD")
        ordering = ["kabupaten__code", "short_name"]
        constraints = [
            models.UniqueConstraint(fields=["kabupaten", "code"], name="opd_code_unique_in_kabupaten")
        ]

    def __str__(self) -> str:
        return self.short_name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Every role reads the agencies of its own kabupaten (their names are public)."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return NOTHING
        return Q(kabupaten__code=scope.kabupaten_prefix)


class Role(models.TextChoices):
    BAPPEDA_ADMIN = "bappeda_admin", _("Admin Bappeda")
    PIMPINAN = "pimpinan", _("Bupati / pimpinan TPPS")
    OPD_OFFICER = "opd_officer", _("Petugas OPD")
    PUSKESMAS_OFFICER = "puskesmas_officer", _("Petugas puskesmas")
    KADER = "kader", _("Kader posyandu")
    KPM = "kpm", _("Kader Pembangunan Manusia (KPM)")


class User(AbstractUser):
    """A person using the application, bound to the organisation unit their role works in."""

    # The request's scope, cached on the instance by convergence.scoping.scope_for_user (not a column).
    _scope: Scope

    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    kabupaten = models.ForeignKey(
        Region,
        verbose_name=_("kabupaten/kota"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opd = models.ForeignKey(
        OPD, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    puskesmas = models.ForeignKey(
        Puskesmas,
        verbose_name=_("puskesmas"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    desa = models.ForeignKey(
        Region,
        verbose_name=_("desa/kelurahan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    posyandu = models.ForeignKey(
        Posyandu,
        verbose_name=_("posyandu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            # Each role is bound to exactly the organisation unit it works in.
            models.CheckConstraint(
                condition=Q(role="")
                | Q(role__in=["bappeda_admin", "pimpinan"], kabupaten__isnull=False)
                | Q(role="opd_officer", opd__isnull=False)
                | Q(role="puskesmas_officer", puskesmas__isnull=False)
                | Q(role="kader", posyandu__isnull=False)
                | Q(role="kpm", desa__isnull=False),
                name="user_role_has_org_unit",
            ),
        ]

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Bappeda admins manage the accounts of their kabupaten; everyone else sees only himself."""
        if scope.is_superuser:
            return Q()
        if scope.is_empty:
            return Q(pk=scope.user_id) if scope.user_id else NOTHING
        if scope.role == Role.BAPPEDA_ADMIN:
            inside = f"{scope.kabupaten_code}."
            return (
                Q(kabupaten__code=scope.kabupaten_code)
                | Q(opd__kabupaten__code=scope.kabupaten_code)
                | Q(puskesmas__kecamatan__code__startswith=inside)
                | Q(desa__code__startswith=inside)
                | Q(posyandu__desa__code__startswith=inside)
            )
        return Q(pk=scope.user_id)


# --- Convergence actions, TPPS, meetings ------------------------------------------------------------------


def _in_kabupaten(scope: Scope, path: str) -> Q:
    """Rows hanging off a Region at `path` inside the user's kabupaten (the region itself or below it).

    Convergence governance (TPPS, the eight actions, meetings, assessment) is public inside the district:
    every role of the kabupaten reads it; who may change a row is decided by the services.
    """
    if scope.is_superuser:
        return Q()
    if scope.is_empty or not scope.kabupaten_prefix:
        return NOTHING
    code = scope.kabupaten_prefix
    return Q(**{f"{path}__code": code}) | Q(**{f"{path}__code__startswith": f"{code}."})


class Team(models.Model):
    """A TPPS (Tim Percepatan Penurunan Stunting) of a kabupaten, kecamatan or desa, set by decree."""

    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="tpps_set"
    )
    name = models.CharField(_("nama tim"), max_length=160)
    decree_number = models.CharField(_("nomor SK"), max_length=80, blank=True)
    decree_date = models.DateField(_("tanggal SK"), null=True, blank=True)
    period_start = models.DateField(_("masa kerja mulai"), null=True, blank=True)
    period_end = models.DateField(_("masa kerja selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("TPPS")
        verbose_name_plural = _("TPPS")
        ordering = ["region__code", "-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="team_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "region")


class TeamMember(models.Model):
    class Position(models.TextChoices):
        KETUA = "ketua", _("Ketua")
        WAKIL_KETUA = "wakil_ketua", _("Wakil ketua")
        SEKRETARIS = "sekretaris", _("Sekretaris")
        KOORDINATOR = "koordinator_bidang", _("Koordinator bidang")
        ANGGOTA = "anggota", _("Anggota")

    team = models.ForeignKey(Team, verbose_name=_("tim"), on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("nama"), max_length=120)
    position_in_team = models.CharField(_("kedudukan dalam tim"), max_length=20, choices=Position.choices)
    jabatan = models.CharField(_("jabatan"), max_length=160, blank=True)
    opd = models.ForeignKey(
        OPD, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("telepon"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("anggota TPPS")
        verbose_name_plural = _("anggota TPPS")
        ordering = ["team", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_position_in_team_display()})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "team__region")


class FieldWorker(models.Model):
    """A KPM (Kader Pembangunan Manusia) or TPK (Tim Pendamping Keluarga) member working in a desa."""

    class Kind(models.TextChoices):
        KPM = "kpm", _("KPM")
        TPK = "tpk", _("TPK")

    kind = models.CharField(_("jenis"), max_length=3, choices=Kind.choices)
    name = models.CharField(_("nama"), max_length=120)
    desa = models.ForeignKey(
        Region, verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="field_workers"
    )
    decree_number = models.CharField(_("nomor SK"), max_length=80, blank=True)
    period_start = models.DateField(_("masa kerja mulai"), null=True, blank=True)
    period_end = models.DateField(_("masa kerja selesai"), null=True, blank=True)
    user = models.ForeignKey(
        User, verbose_name=_("akun"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(_("telepon"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("KPM/TPK")
        verbose_name_plural = _("KPM/TPK")
        ordering = ["desa__code", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        # Names and phone numbers of village workers: seen in their desa's scope, not district-public.
        return scope.q(desa="desa")


class ConvergenceAction(models.Model):
    """One of the eight convergence actions of a kabupaten in a year; lateness is computed, not stored."""

    class Status(models.TextChoices):
        BELUM_MULAI = "belum_mulai", _("Belum mulai")
        BERJALAN = "berjalan", _("Berjalan")
        SELESAI = "selesai", _("Selesai")

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="convergence_actions"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    number = models.PositiveSmallIntegerField(_("aksi"))
    pic_opd = models.ForeignKey(
        OPD,
        verbose_name=_("OPD penanggung jawab"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_in_charge = models.CharField(_("penanggung jawab"), max_length=120, blank=True)
    planned_start = models.DateField(_("rencana mulai"), null=True, blank=True)
    planned_end = models.DateField(_("rencana selesai"), null=True, blank=True)
    actual_start = models.DateField(_("realisasi mulai"), null=True, blank=True)
    actual_end = models.DateField(_("realisasi selesai"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BELUM_MULAI)

    class Meta:
        verbose_name = _("aksi konvergensi")
        verbose_name_plural = _("aksi konvergensi")
        ordering = ["kabupaten__code", "-year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["kabupaten", "year", "number"], name="action_once_per_year"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=8), name="action_number_1_to_8"),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="action_planned_ordered",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=models.F("actual_start")),
                name="action_actual_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Aksi {self.number} ({self.year})"

    @property
    def label_2018(self) -> StrOrPromise:
        from convergence.actions import action_definition

        return _(action_definition(self.number).label_2018)

    @property
    def label_kemendagri(self) -> StrOrPromise:
        from convergence.actions import action_definition

        return _(action_definition(self.number).label_kemendagri)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "kabupaten")


class ActionOutput(models.Model):
    """An output of an action (e.g. Aksi 4: the Perbup), done or not, with its evidence documents."""

    action = models.ForeignKey(
        ConvergenceAction, verbose_name=_("aksi"), on_delete=models.CASCADE, related_name="outputs"
    )
    code = models.CharField(_("kode"), max_length=30)
    title = models.CharField(_("judul"), max_length=200)
    required = models.BooleanField(_("wajib"), default=True)
    done = models.BooleanField(_("selesai"), default=False)
    done_on = models.DateField(_("tanggal selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("keluaran aksi")
        verbose_name_plural = _("keluaran aksi")
        ordering = ["action", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "code"], name="action_output_code_unique"),
            models.CheckConstraint(
                condition=Q(done=True) | Q(done_on__isnull=True), name="output_done_on_if_done"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "action__kabupaten")


def evidence_upload_to(instance: EvidenceDocument, filename: str) -> str:
    """`evidence/<year>/<random hex><ext>`: the user's file name never reaches the disk.

    `filename` is already the random name chosen by the service (convergence.evidence.stored_name).
    """
    return f"evidence/{instance.output.action.year}/{filename}"


class EvidenceDocument(models.Model):
    """A document proving an output (berita acara, SK, Perbup...), stored under a random name.

    Served only by the permission-checked download view, never from MEDIA_URL.
    """

    class DocType(models.TextChoices):
        BERITA_ACARA = "berita_acara", _("Berita acara")
        SK = "sk", _("Surat keputusan (SK)")
        PERBUP = "perbup", _("Perbup/Perwali")
        NOTULEN = "notulen", _("Notulen")
        LAPORAN = "laporan", _("Laporan")
        FOTO = "foto", _("Foto")
        LAINNYA = "lainnya", _("Lainnya")

    output = models.ForeignKey(
        ActionOutput, verbose_name=_("keluaran"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("berkas"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("nama berkas asli"), max_length=200)
    doc_type = models.CharField(_("jenis dokumen"), max_length=20, choices=DocType.choices)
    size_bytes = models.PositiveIntegerField(_("ukuran (byte)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("diunggah oleh"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("diunggah pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("dokumen bukti")
        verbose_name_plural = _("dokumen bukti")
        ordering = ["output", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "output__action__kabupaten")


class AssessmentGrade(models.Model):
    """The provincial assessment (penilaian kinerja) grade of one indicator for a kabupaten and year."""

    class Grade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="assessment_grades"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    indicator_code = models.CharField(_("kode indikator"), max_length=10)
    indicator_text = models.TextField(_("indikator"))
    grade = models.CharField(_("nilai"), max_length=1, choices=Grade.choices)
    notes = models.TextField(_("catatan"), blank=True)
    assessed_on = models.DateField(_("tanggal penilaian"), null=True, blank=True)

    class Meta:
        verbose_name = _("nilai penilaian kinerja")
        verbose_name_plural = _("nilai penilaian kinerja")
        ordering = ["kabupaten__code", "-year", "indicator_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kabupaten", "year", "indicator_code"], name="assessment_grade_once_per_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.year}: {self.grade}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "kabupaten")


class Meeting(models.Model):
    """A rembuk stunting, mini lokakarya or coordination meeting at kabupaten, kecamatan or desa level."""

    class Kind(models.TextChoices):
        REMBUK = "rembuk_stunting", _("Rembuk stunting")
        MINI_LOKAKARYA = "mini_lokakarya", _("Mini lokakarya")
        PRA_AKSI = "koordinasi_pra_aksi", _("Koordinasi sebelum aksi")
        PASCA_AKSI = "koordinasi_pasca_aksi", _("Koordinasi sesudah aksi")
        LAINNYA = "lainnya", _("Lainnya")

    kabupaten = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="+"
    )
    # The region of the meeting's level: the kabupaten itself, a kecamatan or a desa.
    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("jenis rapat"), max_length=24, choices=Kind.choices)
    action = models.ForeignKey(
        ConvergenceAction,
        verbose_name=_("aksi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    held_on = models.DateField(_("tanggal"))
    title = models.CharField(_("judul"), max_length=200)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("notulen"), blank=True)
    invited = models.ManyToManyField(OPD, verbose_name=_("OPD yang diundang"), blank=True, related_name="+")
    created_by = models.ForeignKey(
        User, verbose_name=_("dibuat oleh"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("rapat")
        verbose_name_plural = _("rapat")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["kabupaten", "held_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d-%m-%Y})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "kabupaten")


class Attendance(models.Model):
    """Whether an OPD came to a meeting and who it sent."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.CASCADE, related_name="attendances"
    )
    opd = models.ForeignKey(OPD, verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("hadir"))
    attendee_name = models.CharField(_("nama yang hadir"), max_length=120, blank=True)
    attendee_jabatan = models.CharField(_("jabatan yang hadir"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("kehadiran")
        verbose_name_plural = _("kehadiran")
        ordering = ["meeting", "opd__short_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "opd"], name="attendance_once_per_opd"),
            models.CheckConstraint(
                condition=Q(present=False) | ~Q(attendee_name=""), name="attendance_present_has_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opd}: {self.attendee_name or '-'}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "meeting__kabupaten")


class FollowUp(models.Model):
    """A follow-up item (rencana tindak lanjut) of a meeting, owned by an OPD with a due date."""

    class Status(models.TextChoices):
        TERBUKA = "terbuka", _("Terbuka")
        SELESAI = "selesai", _("Selesai")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    description = models.TextField(_("uraian"))
    owner_opd = models.ForeignKey(
        OPD, verbose_name=_("OPD pelaksana"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("batas waktu"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.TERBUKA)
    done_on = models.DateField(_("tanggal selesai"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("tindak lanjut")
        verbose_name_plural = _("tindak lanjut")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="selesai", done_on__isnull=False)
                | Q(status="terbuka", done_on__isnull=True),
                name="follow_up_done_on_iff_selesai",
            )
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return _in_kabupaten(scope, "meeting__kabupaten")


class Tombstone(models.Model):
    """A record of a synced list that left it (deleted, or merged into another record), for the changes
    feed (GET /api/v1/changes/). Written by convergence.tombstones with the deletion, in its transaction.

    The record is gone: where it was (its region, posyandu, OPD, and for a summary row its level) is kept
    so the feed can be scoped like the record was. No foreign-key constraint: the posyandu or OPD may go
    too, the tombstone stays.
    """

    kind = models.CharField(_("jenis"), max_length=30)
    record_id = models.BigIntegerField(_("id data"))
    removed_at = models.DateTimeField(_("waktu"), default=timezone.now, db_index=True)
    merged_into = models.BigIntegerField(_("digabung ke"), null=True, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    posyandu = models.ForeignKey(
        Posyandu, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    opd = models.ForeignKey(
        OPD, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    level = models.CharField(_("tingkat"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("data terhapus")
        verbose_name_plural = _("data terhapus")
        ordering = ["removed_at", "kind", "record_id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        from convergence.tombstones import tombstone_scope_q

        return tombstone_scope_q(scope)
