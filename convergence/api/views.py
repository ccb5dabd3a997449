"""Read-only, scoped API for regions, puskesmas, posyandu, OPD and the caller's profile."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from convergence import selectors
from convergence.api import serializers
from convergence.models import OPD, Posyandu, Puskesmas, Region, User


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (scoped like its user)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label="parent code")
    code_prefix = django_filters.CharFilter(field_name="code", lookup_expr="startswith", label="code prefix")

    class Meta:
        model = Region
        fields = ["level", "parent", "code_prefix"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions (provinsi to desa/kelurahan) the caller may see."""

    serializer_class = serializers.RegionSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9.]+"
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        return (
            selectors.region_list_for_user(user=self.request.user).select_related("parent").order_by("code")
        )


class PuskesmasViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PuskesmasSerializer
    filterset_fields = {"kecamatan__code": ["exact"]}

    def get_queryset(self) -> QuerySet[Puskesmas]:
        return selectors.puskesmas_list_for_user(user=self.request.user)


class PosyanduViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PosyanduSerializer
    filterset_fields = {"desa__code": ["exact"], "is_active": ["exact"]}

    def get_queryset(self) -> QuerySet[Posyandu]:
        return selectors.posyandu_list_for_user(user=self.request.user)


class OPDViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.OPDSerializer

    def get_queryset(self) -> QuerySet[OPD]:
        return selectors.opd_list_for_user(user=self.request.user).order_by("short_name")


class ProfileView(generics.RetrieveAPIView):
    """The caller's own profile: role and organisation unit."""

    serializer_class = serializers.ProfileSerializer

    @extend_schema(responses=serializers.ProfileSerializer)
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> User:
        return User.objects.select_related(
            "kabupaten", "desa", "opd", "puskesmas__kecamatan", "posyandu__desa"
        ).get(pk=self.request.user.pk)
