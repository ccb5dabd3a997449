"""Fields and mixins shared by the registry API's serializers: scoped relations, desa codes, the NIK."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from children.access import nik_for_display
from convergence.api.serializers import RegionCodeField
from convergence.scoping import restrict


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
