from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from convergence.codes import DESA_LEVELS
from convergence.models import OPD, Posyandu, Puskesmas, Region, User
from convergence.scoping import restrict


class RegionCodeField(serializers.SlugRelatedField):
    """A region written by its Kemendagri code (e.g. "35.10.01.2001"), among the caller's regions of
    `levels`. A retired region is refused with its own message, except the one the record being changed
    holds already (a record keeps its old desa until someone moves it)."""

    def __init__(self, *, levels: Iterable[str] = tuple(DESA_LEVELS), **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Region.objects.filter(level__in=[str(level) for level in levels]))
        super().__init__(slug_field="code", **kwargs)

    def _current(self) -> int | None:
        instance = getattr(self.parent, "instance", None)
        return getattr(instance, f"{self.source}_id", None) if isinstance(instance, models.Model) else None

    def _regions(self) -> QuerySet[Region]:
        # Always set (the constructor defaults it); the stubs allow None for read-only fields.
        queryset = super().get_queryset()
        return queryset if queryset is not None else Region.objects.none()

    def get_queryset(self) -> QuerySet[Region]:
        request = self.context.get("request")
        queryset = self._regions()
        queryset = restrict(queryset, request.user) if request is not None else queryset.none()
        return queryset.filter(Q(retired_at__isnull=True) | Q(pk=self._current()))

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            request = self.context.get("request")
            retired = restrict(self._regions(), request.user) if request is not None else None
            if retired is not None and retired.filter(code=str(data), retired_at__isnull=False).exists():
                raise serializers.ValidationError(
                    _("Wilayah %(code)s sudah tidak berlaku.") % {"code": data}, code="retired"
                ) from None
            raise


class OPDLabels(serializers.Serializer):
    """OPD is not a region: referenced by id, with its code and name as read-only labels."""

    opd_code = serializers.CharField(source="opd.code", read_only=True, allow_null=True)
    opd_name = serializers.CharField(source="opd.name", read_only=True, allow_null=True)


class RegionSerializer(serializers.ModelSerializer):
    # A field named like Field.parent: the declared field wins at run time, the stubs see the attribute.
    parent: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    puskesmas = serializers.IntegerField(source="puskesmas_id", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "puskesmas"]


class PuskesmasSerializer(serializers.ModelSerializer):
    kecamatan: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Puskesmas
        fields = ["id", "code", "name", "kecamatan"]


class PosyanduSerializer(serializers.ModelSerializer):
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    puskesmas = serializers.IntegerField(source="desa.puskesmas_id", read_only=True, allow_null=True)

    class Meta:
        model = Posyandu
        fields = ["id", "code", "name", "desa", "puskesmas", "rw", "target_balita", "is_active"]


class OPDSerializer(serializers.ModelSerializer):
    class Meta:
        model = OPD
        fields = ["id", "code", "name", "short_name", "is_leading_sector", "tupoksi"]
        # Codes are unique per kabupaten: the service checks that, with a translated message.
        validators: list = []


class ProfileSerializer(OPDLabels, serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    puskesmas_name = serializers.CharField(source="puskesmas.name", read_only=True, allow_null=True)
    posyandu_name = serializers.CharField(source="posyandu.name", read_only=True, allow_null=True)

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
            "kabupaten",
            "desa",
            "opd",
            "opd_code",
            "opd_name",
            "puskesmas",
            "puskesmas_name",
            "posyandu",
            "posyandu_name",
        ]


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
