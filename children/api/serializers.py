"""Serializers of the registry API. They only parse and present: every write goes through children.services.

Related records are chosen among the ones the caller may read (an id outside the scope reads as "does not
exist", never as "forbidden"); the NIK is write-only plaintext in and nik_for_display out.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
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
from convergence.codes import DESA_LEVELS
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict

# --- fields -----------------------------------------------------------------------------------------


class _ScopedMixin:
    """A related field whose choices are the rows the requesting user may read."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        return restrict(queryset, request.user) if request is not None else queryset.none()


class ScopedPrimaryKeyRelatedField(_ScopedMixin, serializers.PrimaryKeyRelatedField):
    pass


class DesaField(_ScopedMixin, serializers.SlugRelatedField):
    """A desa/kelurahan given by its Kemendagri code (e.g. "35.10.01.2001").

    A retired desa is refused, except the one the record being changed holds already.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Region.objects.filter(level__in=[level.value for level in DESA_LEVELS]))
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        instance = getattr(self.parent, "instance", None)
        current = getattr(instance, f"{self.source}_id", None) if isinstance(instance, models.Model) else None
        return queryset.filter(Q(retired_at__isnull=True) | Q(pk=current))


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
        # One measurement a child a day: a second one the same day corrects the first (the service's rule).
        validators: list[Any] = []


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
    reported_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
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
