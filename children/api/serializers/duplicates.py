"""Serializers of the likely-duplicate queue, its merge and dismiss requests, and the merge log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from children.api.serializers.fields import NIKField
from children.models import (
    DuplicateCandidate,
    MergeLog,
)
from convergence.models import Region, User


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
