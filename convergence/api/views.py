"""Read-only, scoped API for regions, puskesmas, posyandu, OPD and the caller's profile."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from convergence import selectors, services_actions
from convergence.api import serializers
from convergence.api.conditional import ConditionalMixin, NoDeleteViewSet
from convergence.api.errors import RateLimited
from convergence.api.filtering import FilterSet
from convergence.api.throttling import RateLimitHeadersMixin, verdict_remember
from convergence.http import AuthenticatedRequest
from convergence.models import OPD, Posyandu, Puskesmas, Region, User
from convergence.ratelimit import Verdict, client_address, login_address_check, rate_limit_hit
from convergence.scoping import scope_for_user


class TokenRateThrottle(BaseThrottle):
    """TOKEN_RATE requests per client address, counted in the shared cache.

    Not DRF's ScopedRateThrottle: it believes any X-Forwarded-For header (a new made-up address per
    request escapes it) and counts by read-then-write, which parallel requests overrun.
    """

    verdict = Verdict(allowed=True)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.verdict = rate_limit_hit(scope="token", ident=client_address(request), rate=settings.TOKEN_RATE)
        verdict_remember(request=request, verdict=self.verdict)
        return self.verdict.allowed

    def wait(self) -> float | None:
        return self.verdict.retry_after


def _endpoint_paths(resolver: URLResolver, prefix: str, base: str = "/") -> Iterator[str]:
    """The paths under `prefix` that take no parameter (`base`: the path `resolver` is mounted on)."""
    for entry in resolver.url_patterns:
        if entry.pattern.regex.groups:
            continue
        path = base + str(entry.pattern).removeprefix("^").removesuffix("$")
        if not (path.startswith(prefix) or prefix.startswith(path)):
            continue
        if isinstance(entry, URLResolver):
            yield from _endpoint_paths(entry, prefix, path)
        elif isinstance(entry, URLPattern) and path.startswith(prefix) and path != prefix:
            yield path


class APIRootView(APIView):
    """Every endpoint of the API without a path parameter, by its path under the root."""

    @extend_schema(
        summary="List the API's endpoints",
        responses={200: {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}}},
    )
    def get(self, request: Request) -> Response:
        prefix = request.path
        resolver = get_resolver()
        paths = sorted(set(_endpoint_paths(resolver, prefix)))
        return Response(
            {path.removeprefix(prefix).rstrip("/"): request.build_absolute_uri(path) for path in paths}
        )


class ObtainTokenView(RateLimitHeadersMixin, ObtainAuthToken):
    """Exchange a username and password for an API token (scoped like its user)."""

    # Public (no session, hence no CSRF check), JSON only, counted per client address.
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        summary="Obtain an API token",
        request=AuthTokenSerializer,
        responses=serializers.TokenSerializer,
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Failed logins across usernames, counted for the sign-in page and this endpoint alike.
        verdict = login_address_check(request)
        if not verdict.allowed:
            raise RateLimited(
                wait=verdict.retry_after,
                detail=_("Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi nanti."),
            )
        return super().post(request, *args, **kwargs)


class RegionFilter(FilterSet):
    code_prefix = django_filters.CharFilter(field_name="code", lookup_expr="startswith", label="code prefix")

    class Meta:
        model = Region
        fields = ["level", "parent", "code_prefix"]


class RegionViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """Regions (provinsi to desa/kelurahan) the caller may see."""

    request: AuthenticatedRequest

    serializer_class = serializers.RegionSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9.]+"
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        return (
            selectors.region_list_for_user(user=self.request.user).select_related("parent").order_by("code")
        )


class PuskesmasViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    request: AuthenticatedRequest

    serializer_class = serializers.PuskesmasSerializer
    filterset_fields = ["kecamatan"]

    def get_queryset(self) -> QuerySet[Puskesmas]:
        return selectors.puskesmas_list_for_user(user=self.request.user)


class PosyanduViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    request: AuthenticatedRequest

    serializer_class = serializers.PosyanduSerializer
    filterset_fields = ["desa", "is_active"]

    def get_queryset(self) -> QuerySet[Posyandu]:
        return selectors.posyandu_list_for_user(user=self.request.user)


class OPDViewSet(NoDeleteViewSet):
    """The kabupaten's agencies; Bappeda adds agencies and edits their tasks (tupoksi)."""

    request: AuthenticatedRequest

    serializer_class = serializers.OPDSerializer

    def get_queryset(self) -> QuerySet[OPD]:
        return selectors.opd_list_for_user(user=self.request.user).order_by("short_name", "pk")

    def _save(self, serializer: BaseSerializer[OPD], opd: OPD | None) -> OPD:
        scope = scope_for_user(self.request.user)
        code = opd.kabupaten.code if opd is not None else scope.kabupaten_prefix
        kabupaten = Region.objects.filter(code=code).first() if code else None
        if kabupaten is None:
            raise PermissionDenied
        data = (
            {**serializers.OPDSerializer(opd).data, **serializer.validated_data}
            if opd
            else serializer.validated_data
        )
        try:
            return services_actions.opd_save(
                user=self.request.user,
                kabupaten=kabupaten,
                opd=opd,
                code=data["code"],
                name=data["name"],
                short_name=data.get("short_name", ""),
                tupoksi=data.get("tupoksi", ""),
                is_leading_sector=data.get("is_leading_sector", False),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        opd = self._save(serializer, None)
        return Response(self.get_serializer(opd).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        opd = self.get_object()
        serializer = self.get_serializer(opd, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._save(serializer, opd)).data)


class ProfileView(generics.RetrieveAPIView):
    """The caller's own profile: role and organisation unit."""

    request: AuthenticatedRequest
    serializer_class = serializers.ProfileSerializer

    @extend_schema(summary="Retrieve the caller's profile", responses=serializers.ProfileSerializer)
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> User:
        return User.objects.select_related(
            "kabupaten", "desa", "opd", "puskesmas__kecamatan", "posyandu__desa"
        ).get(pk=self.request.user.pk)
