"""Serializers of the registry API. They only parse and present: every write goes through children.services.

Related records are chosen among the ones the caller may read (an id outside the scope reads as "does not
exist", never as "forbidden"); the NIK is write-only plaintext in and nik_for_display out.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from children.access import nik_for_display
from children.growth import classify, weight_gain
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    Keluarga,
    Measurement,
    MergeLog,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from convergence.api.schema import ProblemErrorSerializer, ProblemSerializer
from convergence.api.serializers import RegionCodeField
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict

# More entries than a posyandu day holds; a larger backlog is sent in several batches.
SYNC_MAX_ENTRIES = 1000

# --- fields -----------------------------------------------------------------------------------------


class _ScopedMixin:
    """A related field whose choices are the rows the requesting user may read."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        return restrict(queryset, request.user) if request is not None else queryset.none()


class ScopedPrimaryKeyRelatedField(_ScopedMixin, serializers.PrimaryKeyRelatedField):
    pass


class DesaField(RegionCodeField):
    """A desa/kelurahan given by its Kemendagri code (e.g. "35.10.01.2001"); a retired one is refused."""


@extend_schema_field(OpenApiTypes.STR)
class NIKField(serializers.Field):
    """In: the 16-digit NIK as text (checked by the service; "" removes it). Out: full or masked by role."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "nik_encrypted")
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            gettext_lazy("NIK 16 angka sebagai teks. Ditampilkan lengkap atau tersamar sesuai peran."),
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str | int) or isinstance(data, bool):
            raise serializers.ValidationError(_("NIK harus berupa teks 16 angka."))
        return str(data)

    def to_representation(self, value: str) -> str:
        return nik_for_display(self.context["request"].user, value)


class WarningsMixin(serializers.Serializer):
    warnings = serializers.SerializerMethodField(
        help_text=gettext_lazy("Peringatan dari penyimpanan (mis. NIK tidak cocok dengan jenis kelamin).")
    )

    def get_warnings(self, obj: Any) -> list[str]:
        return list(getattr(obj, "api_warnings", []))


# --- families and persons ---------------------------------------------------------------------------


class KeluargaSerializer(serializers.ModelSerializer):
    desa = DesaField()
    kk_number = NIKField(
        source="kk_encrypted",
        help_text=gettext_lazy(
            "Nomor KK 16 angka sebagai teks. Ditampilkan lengkap atau tersamar sesuai peran."
        ),
    )

    class Meta:
        model = Keluarga
        fields = [
            "id",
            "kk_number",
            "head_name",
            "desa",
            "address",
            "rt",
            "rw",
            "water_source",
            "latrine",
            "jkn",
            "receives_pkh",
            "receives_bpnt",
            "at_risk",
            "at_risk_reasons",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_at_risk_reasons(self, value: Any) -> list[str]:
        allowed = set(Keluarga.AtRiskReason.values)
        if not isinstance(value, list) or any(item not in allowed for item in value):
            raise serializers.ValidationError(
                _("Alasan berisiko harus daftar dari: %(codes)s.") % {"codes": ", ".join(sorted(allowed))}
            )
        return value


class PersonSerializer(WarningsMixin, serializers.ModelSerializer):
    nik = NIKField()
    desa = DesaField()
    keluarga = ScopedPrimaryKeyRelatedField(queryset=Keluarga.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "keluarga",
            "desa",
            "address",
            "rt",
            "rw",
            "phone",
            "created_at",
            "updated_at",
            "warnings",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ChildSerializer(WarningsMixin, serializers.ModelSerializer):
    nik = NIKField()
    posyandu = ScopedPrimaryKeyRelatedField(queryset=Posyandu.objects.all())
    desa = DesaField(required=False, help_text=gettext_lazy("Kode desa alamat anak; kosong = desa posyandu."))
    mother = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    keluarga = ScopedPrimaryKeyRelatedField(queryset=Keluarga.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "birth_order",
            "birth_weight_kg",
            "birth_length_cm",
            "birth_head_circumference_cm",
            "gestational_age_weeks",
            "early_breastfeeding",
            "mother",
            "mother_name",
            "father_name",
            "parent_phone",
            "keluarga",
            "posyandu",
            "desa",
            "address",
            "rt",
            "rw",
            "has_birth_certificate",
            "has_jkn",
            "has_kia_book",
            "status",
            "created_at",
            "updated_at",
            "warnings",
        ]
        read_only_fields = ["created_at", "updated_at"]


class NIKLookupSerializer(serializers.Serializer):
    nik = serializers.CharField(max_length=32, help_text=gettext_lazy("NIK 16 angka yang dicari."))


# --- measurements -----------------------------------------------------------------------------------


class StatusCategorySerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text=gettext_lazy("Kode kategori; -1 tidak dihitung, -2 flag WHO."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


class StatusCategoriesSerializer(serializers.Serializer):
    waz = StatusCategorySerializer(help_text=gettext_lazy("BB/U"))
    haz = StatusCategorySerializer(help_text=gettext_lazy("PB/U atau TB/U"))
    whz = StatusCategorySerializer(help_text=gettext_lazy("BB/PB atau BB/TB"))
    baz = StatusCategorySerializer(help_text=gettext_lazy("IMT/U"))


class WeightGainSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("N, T, 2T, O, B, atau - (tidak dinilai)."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


@extend_schema_field(StatusCategoriesSerializer)
class CategoriesField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, measurement: Measurement) -> dict[str, dict[str, Any]]:
        out = {}
        for name in ("waz", "haz", "whz", "baz"):
            code = getattr(measurement, f"{name}_category")
            labels = classify.LABELS[name][0]
            out[name] = {"code": code, "label": _(labels.get(code, labels[classify.NO_VALUE]))}
        return out


@extend_schema_field(WeightGainSerializer)
class WeightGainField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, code: int) -> dict[str, str]:
        code = code if code in weight_gain.CODES else weight_gain.NOT_ASSESSED
        return {"code": weight_gain.CODES[code], "label": _(weight_gain.LABELS_ID[code])}


class MeasurementRecordSerializer(serializers.ModelSerializer):
    child = ScopedPrimaryKeyRelatedField(queryset=Child.objects.all())
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "UUID buatan perangkat untuk entri ini: entri yang dikirim ulang dengan client_id yang sama "
            "menjawab pengukuran yang sudah tercatat (200), tidak membuat baris kedua."
        ),
    )
    remeasure_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("Kirim true bila nilai tak wajar sudah diukur ulang dan benar."),
    )
    categories = CategoriesField()
    weight_gain = WeightGainField()

    class Meta:
        model = Measurement
        fields = [
            "id",
            "child",
            "posyandu",
            "measured_on",
            "age_days",
            "weight_kg",
            "height_cm",
            "position",
            "oedema",
            "lila_cm",
            "head_circumference_cm",
            "vitamin_a",
            "pmt_received",
            "pmt_kg",
            "remeasure_confirmed",
            "client_id",
            "adjusted_height_cm",
            "waz",
            "haz",
            "whz",
            "baz",
            "hcz",
            "acz",
            "categories",
            "weight_gain",
            "error_flags",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "posyandu",
            "age_days",
            "adjusted_height_cm",
            "waz",
            "haz",
            "whz",
            "baz",
            "hcz",
            "acz",
            "error_flags",
            "source",
            "created_at",
        ]
        # One measurement a child a day, one row a client_id: the service answers a second one (duplicate
        # or conflict), without a query per entry here.
        validators: list[Any] = []


class MeasurementSyncEntrySerializer(MeasurementRecordSerializer):
    """One entry of an offline batch: the fields of a single measurement, client_id required.

    The child is an id resolved for the whole batch at once through the caller's scope (a child outside
    it reads as "does not exist", as for a single entry).
    """

    child = serializers.IntegerField(min_value=1)  # type: ignore[assignment]
    client_id = serializers.UUIDField(
        help_text=gettext_lazy(
            "UUID buatan perangkat untuk entri ini; kirim ulang entri dengan UUID yang sama."
        )
    )

    class Meta(MeasurementRecordSerializer.Meta):
        fields = [
            "client_id",
            "child",
            "measured_on",
            "weight_kg",
            "height_cm",
            "position",
            "oedema",
            "lila_cm",
            "head_circumference_cm",
            "vitamin_a",
            "pmt_received",
            "pmt_kg",
            "remeasure_confirmed",
        ]
        read_only_fields: list[str] = []


@extend_schema_field(MeasurementSyncEntrySerializer(many=True))
class SyncEntriesField(serializers.ListField):
    """The batch's entries as sent: each is parsed on its own, so that one bad entry rejects only itself."""


class MeasurementSyncSerializer(serializers.Serializer):
    entries = SyncEntriesField(
        child=serializers.JSONField(),
        max_length=SYNC_MAX_ENTRIES,
        help_text=gettext_lazy("Entri pengukuran, paling banyak 1.000 dalam satu kiriman."),
    )


class MeasurementSyncResultSerializer(serializers.Serializer):
    """The answer to one entry of a batch."""

    index = serializers.IntegerField(help_text=gettext_lazy("Posisi entri dalam kiriman (mulai 0)."))
    client_id = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["created", "duplicate", "conflict", "rejected"],
        help_text=gettext_lazy(
            "created: tercatat; duplicate: client_id atau nilai yang sama sudah tercatat, tidak ada yang "
            "berubah; conflict: anak ini sudah punya pengukuran lain pada hari itu (measurement), tidak "
            "ditimpa; rejected: lihat errors."
        ),
    )
    measurement = MeasurementRecordSerializer(
        required=False,
        help_text=gettext_lazy(
            "Pengukuran yang tercatat (created, duplicate) atau yang sudah ada (conflict)."
        ),
    )
    # A field named like Serializer.errors: the declared field wins at run time, the stubs see the property.
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


class MeasurementConflictSerializer(ProblemSerializer):
    """409 on a measurement: the child's day holds other values; `existing` is that measurement."""

    existing = MeasurementRecordSerializer()


# --- pregnancies --------------------------------------------------------------------------------------


class PregnancyVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = PregnancyVisit
        fields = [
            "id",
            "visit_date",
            "is_anc",
            "weight_kg",
            "lila_cm",
            "hb_g_dl",
            "systolic_mmhg",
            "diastolic_mmhg",
            "ttd_tablets",
            "place",
            "notes",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators: list[Any] = []


class PregnancySerializer(serializers.ModelSerializer):
    mother = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    posyandu = ScopedPrimaryKeyRelatedField(queryset=Posyandu.objects.all(), required=False, allow_null=True)
    newborn = ScopedPrimaryKeyRelatedField(queryset=Child.objects.all(), required=False, allow_null=True)
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    risk_history = serializers.ListField(
        child=serializers.ChoiceField(choices=Pregnancy.RiskFactor.choices), required=False
    )
    visits = PregnancyVisitSerializer(many=True, read_only=True)

    class Meta:
        model = Pregnancy
        fields = [
            "id",
            "mother",
            "desa",
            "posyandu",
            "lmp_date",
            "expected_delivery_date",
            "gravida",
            "parity",
            "abortus",
            "last_delivery_date",
            "height_cm",
            "pre_pregnancy_weight_kg",
            "risk_history",
            "outcome",
            "delivery_date",
            "newborn",
            "postnatal_visits",
            "ttd_total",
            "anc_visits",
            "is_kek",
            "is_anaemic",
            "is_high_risk",
            "risk_flags",
            "visits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "ttd_total",
            "anc_visits",
            "is_kek",
            "is_anaemic",
            "is_high_risk",
            "risk_flags",
            "created_at",
            "updated_at",
        ]


# --- adolescent girls ---------------------------------------------------------------------------------


class AdolescentGirlSerializer(serializers.ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    name = serializers.CharField(source="person.name", read_only=True)
    birth_date = serializers.DateField(source="person.birth_date", read_only=True, allow_null=True)
    desa = serializers.CharField(source="person.desa.code", read_only=True)

    class Meta:
        model = AdolescentGirl
        fields = [
            "id",
            "person",
            "name",
            "birth_date",
            "desa",
            "school_name",
            "school_class",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class AdolescentTTDSerializer(serializers.ModelSerializer):
    girl = ScopedPrimaryKeyRelatedField(queryset=AdolescentGirl.objects.all())

    class Meta:
        model = AdolescentTTD
        fields = ["id", "girl", "week_start", "tablets", "given_at", "created_at"]
        read_only_fields = ["created_at"]
        # A week already recorded is corrected by the service, not refused as a duplicate.
        validators: list = []


# --- duplicates -----------------------------------------------------------------------------------------


class DuplicateRecordSerializer(serializers.Serializer):
    """One side of a pair, as the review compares it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    desa = serializers.CharField(source="desa.code")
    nik = NIKField(read_only=True)


class DuplicateChildSerializer(DuplicateRecordSerializer):
    posyandu = serializers.IntegerField(source="posyandu_id")
    mother = serializers.IntegerField(source="mother_id", allow_null=True)
    mother_name = serializers.CharField()


class DuplicateKeluargaSerializer(serializers.Serializer):
    """The family of a KK number someone outside its scope tried to register."""

    id = serializers.IntegerField()
    head_name = serializers.CharField()
    desa = serializers.CharField(source="desa.code")


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    keluarga_a = DuplicateKeluargaSerializer(read_only=True, allow_null=True)
    reported_by: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    reported_by_name = serializers.CharField(source="reported_by.username", read_only=True, allow_null=True)
    child_a = DuplicateChildSerializer(read_only=True, allow_null=True)
    child_b = DuplicateChildSerializer(read_only=True, allow_null=True)
    person_a = DuplicateRecordSerializer(read_only=True, allow_null=True)
    person_b = DuplicateRecordSerializer(read_only=True, allow_null=True)
    child_a_measurements = serializers.IntegerField(read_only=True)
    child_b_measurements = serializers.IntegerField(read_only=True)

    class Meta:
        model = DuplicateCandidate
        fields = [
            "id",
            "kind",
            "reason",
            "similarity",
            "status",
            "desa",
            "child_a",
            "child_b",
            "person_a",
            "person_b",
            "keluarga_a",
            "reported_by",
            "reported_by_name",
            "child_a_measurements",
            "child_b_measurements",
            "created_at",
            "resolved_by",
            "resolved_at",
            "note",
        ]
        read_only_fields = fields


class MergeRequestSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(help_text=gettext_lazy("Id data (anak/penduduk) yang dipertahankan."))


class DismissRequestSerializer(serializers.Serializer):
    note = serializers.CharField(help_text=gettext_lazy("Alasan keduanya bukan orang yang sama."))


class MergeLogSerializer(serializers.ModelSerializer):
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = MergeLog
        fields = [
            "id",
            "kind",
            "survivor_child",
            "survivor_person",
            "removed_id",
            "moved",
            "candidate",
            "desa",
            "merged_by",
            "merged_at",
        ]
        read_only_fields = fields
