"""POST /api/v1/growth/zscores/: the WHO z-score calculator for REST clients (one or many measurements, no storage)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from children.growth import classify, codes, zscores
from children.growth.tables import AGE_DAYS_MAX
from children.growth.zscore import STANDING_MIN_AGE_DAYS, GrowthArrays

MAX_ITEMS = 10_000  # one request, one district's monthly weighing at most; larger files go through `zscores`


class MeasurementSerializer(serializers.Serializer):
    sex = serializers.CharField(help_text=_("Jenis kelamin: M/F atau L (laki-laki) / P (perempuan)."))
    age_days = serializers.IntegerField(
        required=False, min_value=0, max_value=AGE_DAYS_MAX, help_text=_("Umur dalam hari (0-1856).")
    )
    birth_date = serializers.DateField(
        required=False, help_text=_("Tanggal lahir, jika age_days tidak diisi.")
    )
    measure_date = serializers.DateField(
        required=False, help_text=_("Tanggal pengukuran, jika age_days tidak diisi.")
    )
    weight_kg = serializers.FloatField(
        required=False, allow_null=True, min_value=0.1, max_value=100, help_text=_("Berat badan (kg).")
    )
    height_cm = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=10,
        max_value=200,
        help_text=_("Panjang/tinggi badan (cm)."),
    )
    measured = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Cara ukur: L/telentang (panjang badan) atau H/berdiri (tinggi badan)."),
    )
    oedema = serializers.BooleanField(required=False, default=False, help_text=_("Edema bilateral."))

    def validate_sex(self, value: str) -> int:
        code = int(codes.parse_sex([value])[0])
        if code == codes.SEX_INVALID:
            raise serializers.ValidationError(_("Jenis kelamin harus M/F atau L/P."))
        return code

    def validate_measured(self, value: str) -> int:
        code = int(codes.parse_measured([value])[0])
        if code == codes.MEASURED_INVALID:
            raise serializers.ValidationError(_("Cara ukur harus L/H atau telentang/berdiri."))
        return code

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("age_days") is None:
            birth, measure = attrs.get("birth_date"), attrs.get("measure_date")
            if birth is None or measure is None:
                raise serializers.ValidationError(
                    {"age_days": [_("Isi age_days, atau birth_date dan measure_date.")]}
                )
            age_days = (measure - birth).days
            if age_days < 0:
                raise serializers.ValidationError({"measure_date": [_("Umur negatif.")]})
            if age_days > AGE_DAYS_MAX:
                raise serializers.ValidationError({"measure_date": [_("Umur di atas 1856 hari (61 bulan).")]})
            attrs["age_days"] = age_days
        if (
            attrs.get("measured") == codes.MEASURED_STANDING
            and attrs.get("height_cm") is not None
            and attrs["age_days"] < STANDING_MIN_AGE_DAYS
        ):
            raise serializers.ValidationError(
                {"measured": [_("Tinggi berdiri di bawah 9 bulan: ukur telentang.")]}
            )
        return attrs


class CategorySerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text=_("Kode kategori; -1 tidak dihitung, -2 flag WHO."))
    label = serializers.CharField(help_text=_("Label Permenkes 2/2020 (Bahasa Indonesia)."))  # type: ignore[assignment]  # a field named like Field.label
    label_en = serializers.CharField()


class IndicatorFlagsSerializer(serializers.Serializer):
    waz = serializers.BooleanField()
    haz = serializers.BooleanField()
    whz = serializers.BooleanField()
    baz = serializers.BooleanField()


class CategoriesSerializer(serializers.Serializer):
    waz = CategorySerializer(help_text=_("BB/U"))
    haz = CategorySerializer(help_text=_("PB/U atau TB/U"))
    whz = CategorySerializer(help_text=_("BB/PB atau BB/TB"))
    baz = CategorySerializer(help_text=_("IMT/U"))


class ZScoreResultSerializer(serializers.Serializer):
    age_days = serializers.IntegerField()
    length_cm = serializers.FloatField(allow_null=True, help_text=_("Panjang/tinggi setelah koreksi 0,7 cm."))
    bmi = serializers.FloatField(allow_null=True)
    waz = serializers.FloatField(allow_null=True)
    haz = serializers.FloatField(allow_null=True)
    whz = serializers.FloatField(allow_null=True)
    baz = serializers.FloatField(allow_null=True)
    flags = IndicatorFlagsSerializer()
    categories = CategoriesSerializer()
    stunted = serializers.BooleanField(help_text=_("Pendek atau sangat pendek."))


def _float_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _category(indicator: str, code: int) -> dict[str, Any]:
    labels_id, labels_en = classify.LABELS[indicator]
    return {"code": code, "label": labels_id[code], "label_en": labels_en[code]}


def _items(result: GrowthArrays, age_days: list[int]) -> list[dict[str, Any]]:
    stunted = classify.is_stunted(result.haz_category)
    items = []
    for i, age in enumerate(age_days):
        length_mm = float(result.length_mm[i])
        items.append(
            {
                "age_days": age,
                "length_cm": None if math.isnan(length_mm) else round(length_mm) / 10,
                "bmi": _float_or_none(float(result.bmi[i])),
                **{
                    name: _float_or_none(float(getattr(result, name)[i]))
                    for name in ("waz", "haz", "whz", "baz")
                },
                "flags": {
                    name: bool(getattr(result, f"{name}_flag")[i]) for name in ("waz", "haz", "whz", "baz")
                },
                "categories": {
                    name: _category(name, int(getattr(result, f"{name}_category")[i]))
                    for name in ("waz", "haz", "whz", "baz")
                },
                "stunted": bool(stunted[i]),
            }
        )
    return items


_REQUEST = PolymorphicProxySerializer(
    component_name="ZScore",
    serializers=[MeasurementSerializer, MeasurementSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
_RESPONSE = PolymorphicProxySerializer(
    component_name="ZScoreResponse",
    serializers=[ZScoreResultSerializer, ZScoreResultSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


class ZScoreCalculatorView(APIView):
    """WHO 2006 z-scores and Permenkes 2/2020 categories for one measurement or a list; nothing is stored."""

    parser_classes = [JSONParser]  # a list of measurements has no form encoding

    @extend_schema(
        operation_id="growth_zscores",
        summary="Compute WHO z-scores",
        description=(
            "One measurement object or a list of up to 10,000; the answer has the same shape (object or list, "
            "same order). Z-scores are not rounded; null where undefined. See /panduan/zscore/."
        ),
        request=_REQUEST,
        responses={200: _RESPONSE},
        examples=[
            OpenApiExample(
                "One measurement",
                value={"sex": "L", "age_days": 365, "weight_kg": 8.5, "height_cm": 72.3, "measured": "L"},
                request_only=True,
            )
        ],
        tags=["growth"],
    )
    def post(self, request: Request) -> Response:
        single = isinstance(request.data, dict)
        records = [request.data] if single else request.data
        if not isinstance(records, list) or not records:
            raise ValidationError(_("Kirim satu objek pengukuran atau daftar pengukuran."))
        if len(records) > MAX_ITEMS:
            raise ValidationError(_("Terlalu banyak pengukuran dalam satu permintaan (maksimal 10.000)."))
        valid: list[dict[str, Any]] = []
        errors: list[Any] = []
        for record in records:
            serializer = MeasurementSerializer(data=record)
            serializer.is_valid()
            valid.append(serializer.validated_data)
            errors.append(serializer.errors)
        if any(errors):
            # A batch's errors carry each item's index in the problem body.
            raise ValidationError(errors)
        result = zscores(
            sex=np.array([item["sex"] for item in valid], dtype=np.int8),
            age_days=np.array([item["age_days"] for item in valid], dtype=np.int64),
            weight_kg=np.array([_nan_if_none(item.get("weight_kg")) for item in valid]),
            height_cm=np.array([_nan_if_none(item.get("height_cm")) for item in valid]),
            measured=np.array([item["measured"] for item in valid], dtype=np.int8),
            oedema=np.array([item["oedema"] for item in valid], dtype=bool),
        )
        items = _items(result, [item["age_days"] for item in valid])
        return Response(items[0] if single else items, status=status.HTTP_200_OK)


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value
