from __future__ import annotations

from rest_framework import serializers

from convergence.models import OPD, Posyandu, Puskesmas, Region, User


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True)
    puskesmas_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent_code", "puskesmas_id"]


class PuskesmasSerializer(serializers.ModelSerializer):
    kecamatan_code = serializers.CharField(source="kecamatan.code", read_only=True)

    class Meta:
        model = Puskesmas
        fields = ["id", "code", "name", "kecamatan_code"]


class PosyanduSerializer(serializers.ModelSerializer):
    desa_code = serializers.CharField(source="desa.code", read_only=True)
    puskesmas_id = serializers.IntegerField(source="desa.puskesmas_id", read_only=True, allow_null=True)

    class Meta:
        model = Posyandu
        fields = ["id", "code", "name", "desa_code", "puskesmas_id", "rw", "target_balita", "is_active"]


class OPDSerializer(serializers.ModelSerializer):
    class Meta:
        model = OPD
        fields = ["id", "code", "name", "short_name", "is_leading_sector", "tupoksi"]
        # Codes are unique per kabupaten: the service checks that, with a translated message.
        validators: list = []


class ProfileSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    kabupaten_code = serializers.CharField(source="kabupaten.code", read_only=True, allow_null=True)
    desa_code = serializers.CharField(source="desa.code", read_only=True, allow_null=True)
    opd = OPDSerializer(read_only=True, allow_null=True)
    puskesmas = PuskesmasSerializer(read_only=True, allow_null=True)
    posyandu = PosyanduSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "role_label",
            "kabupaten_code",
            "desa_code",
            "opd",
            "puskesmas",
            "posyandu",
        ]


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
