"""The registry REST API: families, persons, children, measurements, pregnancies, adolescent girls and the
likely-duplicate queue, scoped like the pages.

Querysets go through convergence.scoping.restrict (a record outside the scope is a 404); writes go
through children.services (never serializer.save()), so the API enforces the same identity, NIK and
plausibility rules as the forms; read-only roles get 403. Personal records read here are logged
(children.audit). No DELETE: a wrong record is removed only by merging it into the right one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import ValidationError

from children import duplicates, identity, pii, registration, services
from children.access import can_merge, can_write_registry, lookup_allow, lookup_refused_message
from children.api import filters, serializers
from children.api.sync import measurements_sync, service_error_detail
from children.audit import record_access, record_lookup
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
    RecordAccess,
)
from convergence.api.conditional import ConditionalMixin, NoDeleteViewSet
from convergence.api.errors import Conflict, RateLimited
from convergence.api.throttling import RateLimitHeadersMixin, verdict_remember
from convergence.http import AuthenticatedRequest
from convergence.scoping import restrict

# --- errors and permissions ---------------------------------------------------------------------------


@contextmanager
def service_errors() -> Iterator[None]:
    """The services' Django errors as DRF's 400: by field, or `needs_confirmation` on remeasure_confirmed."""
    try:
        yield
    except DjangoValidationError as error:
        raise ValidationError(service_error_detail(error)) from error


class RegistryWrite(BasePermission):
    """Reads for every scoped user; writes only for the registry's writers (OPD and pimpinan read only)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(
            view, "read_actions", ()
        ):
            return True
        return can_write_registry(request.user)


class Reviewer(BasePermission):
    """Merging and dismissing: puskesmas officers and Bappeda only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or can_merge(request.user)


# --- base viewset -------------------------------------------------------------------------------------


_M = TypeVar("_M", bound=Model)


class RegistryViewSet(NoDeleteViewSet, Generic[_M]):
    """List/retrieve (read-logged for personal records), create and update through a service."""

    request: AuthenticatedRequest

    permission_classes = [IsAuthenticated, RegistryWrite]
    access_kind: str = ""
    read_actions: tuple[str, ...] = ()
    updated_field: str | None = "updated_at"  # `updated_since` (convergence.api.listing.UpdatedSince)

    def _log(self, *, object_ids: Iterable[int] = (), count: int = 0) -> None:
        if self.access_kind:
            record_access(
                user=self.request.user,
                kind=self.access_kind,
                object_ids=object_ids,
                count=count,
                channel=RecordAccess.Channel.API,
                path=self.request.path,
            )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        self._log(count=len(rows))
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        self._log(object_ids=[instance.pk])
        return Response(self.get_serializer(instance).data)

    def save(self, *, instance: _M | None, data: dict[str, Any]) -> _M:
        """Each viewset writes through its registry service (child_save, person_save, ...)."""
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            obj = self.save(instance=None, data=dict(serializer.validated_data))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        with service_errors():
            obj = self.save(instance=instance, data=dict(serializer.validated_data))
        return Response(self.get_serializer(obj).data)


def _with_warnings(obj: _M, warnings: list[str]) -> _M:
    obj.api_warnings = warnings  # type: ignore[attr-defined]
    return obj


def _registration_matches(user: Any, data: dict[str, Any]) -> registration.ChildMatches:
    desa = data.get("desa") or data["posyandu"].desa
    return registration.child_registration_matches(
        user=user,
        name=data.get("name", ""),
        sex=data.get("sex", ""),
        birth_date=data["birth_date"],
        desa_id=desa.pk,
        mother=data.get("mother"),
        mother_name=data.get("mother_name") or "",
    )


def _nik_lookup(request: Request, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The records with this NIK among `queryset` (already scoped): empty when none is visible, whether or
    not the NIK exists elsewhere, so the answer tells nothing outside the caller's scope."""
    lookup = serializers.NIKLookupSerializer(data=request.data)
    lookup.is_valid(raise_exception=True)
    digits, error = identity.recover_digits(lookup.validated_data["nik"])
    if error:
        raise ValidationError({"nik": [_(error)]})
    return queryset.filter(nik_hash=pii.nik_hash(digits))


# --- families, persons, children ----------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: serializers.KeluargaSerializer}),
)
class KeluargaViewSet(RegistryViewSet[Keluarga]):
    """Families (Kartu Keluarga). A KK number already registered is refused with a pointer to it."""

    request: AuthenticatedRequest

    serializer_class = serializers.KeluargaSerializer
    filterset_class = filters.KeluargaFilter
    access_kind = RecordAccess.Kind.KELUARGA

    def get_queryset(self) -> QuerySet[Keluarga]:
        return restrict(Keluarga.objects.select_related("desa"), self.request.user).order_by(
            "head_name", "pk"
        )

    def save(self, *, instance: Keluarga | None, data: dict[str, Any]) -> Keluarga:
        kk_number = data.pop("kk_encrypted", None)
        return services.keluarga_save(
            user=self.request.user,
            keluarga=instance,
            kk_number=kk_number,
            **data,
        ).obj


class _NIKRecordViewSet(RateLimitHeadersMixin, RegistryViewSet[_M]):
    read_actions = ("lookup",)
    rate_limited_actions = ("lookup",)

    @extend_schema(
        request=serializers.NIKLookupSerializer,
        summary="Look up by NIK",
        description="Find records by NIK (a NIK never travels in a URL), only within the caller's scope. "
        "Look-ups per user are limited (pages and API together); past the limit: 429 with Retry-After.",
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def lookup(self, request: AuthenticatedRequest) -> Response:
        verdict = lookup_allow(user=request.user)
        verdict_remember(request=request, verdict=verdict)
        if not verdict.allowed:
            raise RateLimited(wait=verdict.retry_after, detail=lookup_refused_message(verdict))
        found = list(_nik_lookup(request, self.get_queryset()))
        record_lookup(
            user=request.user,
            results=len(found),
            channel=RecordAccess.Channel.API,
            path=request.path,
        )
        self._log(object_ids=[obj.pk for obj in found])
        return Response(self.get_serializer(found, many=True).data)


@extend_schema_view(lookup=extend_schema(responses=serializers.PersonSerializer(many=True)))
class PersonViewSet(_NIKRecordViewSet[Person]):
    """Mothers, pregnant women and adolescent girls. An exact NIK match is refused with a pointer."""

    request: AuthenticatedRequest

    serializer_class = serializers.PersonSerializer
    filterset_class = filters.PersonFilter
    access_kind = RecordAccess.Kind.PERSON

    def get_queryset(self) -> QuerySet[Person]:
        return restrict(Person.objects.select_related("desa"), self.request.user).order_by("name", "pk")

    def save(self, *, instance: Person | None, data: dict[str, Any]) -> Person:
        nik = data.pop("nik_encrypted", None)
        result = services.person_save(user=self.request.user, person=instance, nik=nik, **data)
        return _with_warnings(result.obj, result.warnings)


@extend_schema_view(lookup=extend_schema(responses=serializers.ChildSerializer(many=True)))
class ChildViewSet(_NIKRecordViewSet[Child]):
    """Children 0-59 months. An exact NIK match is refused; likely duplicates go to duplicates/ and,
    on creation, come back in `warnings` (the ids the caller may read; the others only counted)."""

    request: AuthenticatedRequest

    serializer_class = serializers.ChildSerializer
    filterset_class = filters.ChildFilter
    access_kind = RecordAccess.Kind.CHILD

    def get_queryset(self) -> QuerySet[Child]:
        return restrict(Child.objects.select_related("desa"), self.request.user).order_by("name", "pk")

    def save(self, *, instance: Child | None, data: dict[str, Any]) -> Child:
        nik = data.pop("nik_encrypted", None)
        # A new child: its likely duplicates (queued for review as it is saved) come back as warnings.
        matches: list[str] = []
        if instance is None and data.get("posyandu") is not None and data.get("birth_date") is not None:
            matches = registration.child_matches_warnings(_registration_matches(self.request.user, data))
        result = services.child_save(user=self.request.user, child=instance, nik=nik, **data)
        return _with_warnings(result.obj, [*result.warnings, *matches])


# --- measurements -------------------------------------------------------------------------------------


class MeasurementViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Measurements with the stored WHO z-scores, Permenkes 2/2020 categories and N/T status.

    POST records the child's measurement of a day (201). A replay (a client_id already recorded) or the
    same values as the day's measurement answer 200 with the stored one; other values for a day that
    has one answer 409 with it as `existing` (nothing is overwritten: DELETE it first to replace it).
    POST sync/ records an offline batch. DELETE removes one entered by mistake (kept in the history).
    """

    request: AuthenticatedRequest

    def perform_destroy(self, instance: Measurement) -> None:
        services.measurement_delete(user=self.request.user, measurement=instance)

    serializer_class = serializers.MeasurementRecordSerializer
    filterset_class = filters.MeasurementFilter
    updated_field = "updated_at"
    permission_classes = [IsAuthenticated, RegistryWrite]

    def get_queryset(self) -> QuerySet[Measurement]:
        return restrict(Measurement.objects.all(), self.request.user).order_by("-measured_on", "pk")

    @extend_schema(
        responses={
            201: OpenApiResponse(serializers.MeasurementRecordSerializer, description="Recorded."),
            200: OpenApiResponse(
                serializers.MeasurementRecordSerializer,
                description="Already recorded: the client_id was recorded, or the day holds the same "
                "values. Nothing changed; the stored measurement is returned.",
            ),
            409: OpenApiResponse(
                serializers.MeasurementConflictSerializer,
                description="The child's day holds a measurement with other values (`existing`); "
                "nothing was overwritten.",
            ),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {"weight_kg": None, "height_cm": None, **serializer.validated_data}
        with service_errors():
            result = services.measurement_record(
                user=self.request.user,
                source=Measurement.Source.API,
                **data,
            )
        shown = self.get_serializer(result.measurement).data
        if result.outcome == services.MeasurementOutcome.CONFLICT:
            raise Conflict(
                _("Anak ini sudah punya pengukuran lain pada tanggal itu; data tidak ditimpa."),
                code="conflict",
                extra={"existing": shown},
            )
        return Response(shown, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        summary="Sync a batch of measurements",
        description="The offline posyandu day (and bulk create): up to 1,000 entries, each with a "
        "device-made client_id. 200 with one result per entry: created, duplicate (nothing changed), "
        "conflict (the day holds other values: the existing measurement is returned, nothing "
        "overwritten) or rejected (errors, with the entry's index). Resending a batch, whole or after a "
        "cut, never adds a second row.",
        request=serializers.MeasurementSyncSerializer,
        responses={200: serializers.MeasurementSyncResultSerializer(many=True)},
    )
    @action(detail=False, methods=["post"], url_path="sync", pagination_class=None, filterset_class=None)
    def sync(self, request: AuthenticatedRequest) -> Response:
        batch = serializers.MeasurementSyncSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        return Response(measurements_sync(request=request, raw_entries=batch.validated_data["entries"]))


# --- pregnancies --------------------------------------------------------------------------------------


@extend_schema_view(
    visits=extend_schema(
        methods=["POST"],
        summary="Record a visit of a pregnancy",
        request=serializers.PregnancyVisitSerializer,
        responses={201: serializers.PregnancyVisitSerializer},
        description="Record (or correct) the visit of a day; KEK, anaemia, TTD and ANC status are recomputed.",
    )
)
class PregnancyViewSet(RegistryViewSet[Pregnancy]):
    """Pregnancy episodes with their visits; KEK, anaemia, risk and TTD totals are computed, never entered."""

    request: AuthenticatedRequest

    serializer_class = serializers.PregnancySerializer
    filterset_class = filters.PregnancyFilter
    access_kind = RecordAccess.Kind.PREGNANCY

    def get_queryset(self) -> QuerySet[Pregnancy]:
        return (
            restrict(Pregnancy.objects.select_related("desa"), self.request.user)
            .prefetch_related("visits")
            .order_by("-lmp_date", "pk")
        )

    def save(self, *, instance: Pregnancy | None, data: dict[str, Any]) -> Pregnancy:
        pregnancy = services.pregnancy_save(user=self.request.user, pregnancy=instance, **data)
        return self.get_queryset().get(pk=pregnancy.pk)

    @extend_schema(methods=["GET"], responses=serializers.PregnancyVisitSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="Record a visit of a pregnancy",
        request=serializers.PregnancyVisitSerializer,
        responses={201: serializers.PregnancyVisitSerializer},
        description="Record (or correct) the visit of a day; KEK, anaemia, TTD and ANC status are recomputed.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=serializers.PregnancyVisitSerializer,
        pagination_class=None,
    )
    def visits(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        pregnancy = self.get_object()
        if request.method == "GET":
            self._log(object_ids=[pregnancy.pk])
            return Response(self.get_serializer(pregnancy.visits.all(), many=True).data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            visit = services.pregnancy_visit_record(
                user=request.user,
                pregnancy=pregnancy,
                **serializer.validated_data,
            )
        return Response(self.get_serializer(visit).data, status=status.HTTP_201_CREATED)


# --- adolescent girls ---------------------------------------------------------------------------------


class AdolescentGirlViewSet(RegistryViewSet[AdolescentGirl]):
    """Adolescent girls followed for weekly TTD: register an existing person (a girl of 10-19 years)."""

    request: AuthenticatedRequest

    serializer_class = serializers.AdolescentGirlSerializer
    filterset_class = filters.AdolescentGirlFilter
    access_kind = RecordAccess.Kind.PERSON

    def get_queryset(self) -> QuerySet[AdolescentGirl]:
        return restrict(AdolescentGirl.objects.select_related("person__desa"), self.request.user).order_by(
            "person__name", "pk"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        girl = self.get_object()
        self._log(object_ids=[girl.person_id])
        return Response(self.get_serializer(girl).data)

    def save(self, *, instance: AdolescentGirl | None, data: dict[str, Any]) -> AdolescentGirl:
        if instance is None:
            girl = services.adolescent_register(user=self.request.user, **data)
        else:
            girl = services.adolescent_update(user=self.request.user, girl=instance, **data)
        return self.get_queryset().get(pk=girl.pk)


class AdolescentTTDViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Weekly TTD records of adolescent girls (one tablet a week, 52 weeks a year).

    POST records (or corrects) the week containing `week_start`; tablets 0 removes the week.
    """

    request: AuthenticatedRequest

    serializer_class = serializers.AdolescentTTDSerializer
    filterset_fields = {"girl": ["exact"], "week_start": ["gte", "lte"]}
    permission_classes = [IsAuthenticated, RegistryWrite]

    def get_queryset(self) -> QuerySet[AdolescentTTD]:
        return restrict(AdolescentTTD.objects.all(), self.request.user).order_by("girl_id", "week_start")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            record = services.adolescent_ttd_record(user=self.request.user, **serializer.validated_data)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


# --- duplicates ---------------------------------------------------------------------------------------


class DuplicateViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """The likely-duplicate queue in the caller's scope; puskesmas officers and Bappeda merge or dismiss."""

    request: AuthenticatedRequest

    serializer_class = serializers.DuplicateCandidateSerializer
    filterset_class = filters.DuplicateFilter
    permission_classes = [IsAuthenticated, Reviewer]

    def get_queryset(self) -> QuerySet[DuplicateCandidate]:
        return duplicates.duplicate_list_for_user(user=self.request.user, status=None)

    @extend_schema(
        request=serializers.MergeRequestSerializer,
        responses={201: serializers.MergeLogSerializer},
        description="Merge this pair; `survivor` is the id of the record kept.",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        candidate = self.get_object()
        body = serializers.MergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            log = duplicates.duplicate_merge(
                user=request.user,
                candidate=candidate,
                survivor_id=body.validated_data["survivor"],
            )
        return Response(serializers.MergeLogSerializer(log).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.DismissRequestSerializer,
        responses={200: serializers.DuplicateCandidateSerializer},
        description="Mark this pair as not duplicates (with a note); it will not enter the queue again.",
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        candidate = self.get_object()
        body = serializers.DismissRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            duplicates.duplicate_dismiss(
                user=request.user,
                candidate=candidate,
                note=body.validated_data["note"],
            )
        return Response(self.get_serializer(self.get_object()).data)


class MergeLogViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """The audit of merges in the caller's scope (the removed records' contents stay server-side)."""

    request: AuthenticatedRequest

    serializer_class = serializers.MergeLogSerializer

    def get_queryset(self) -> QuerySet[MergeLog]:
        return duplicates.merge_log_list_for_user(user=self.request.user).order_by("-merged_at", "-pk")


router = DefaultRouter()
router.include_root_view = False
router.register("keluarga", KeluargaViewSet, basename="keluarga")
router.register("persons", PersonViewSet, basename="person")
router.register("children", ChildViewSet, basename="child")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("pregnancies", PregnancyViewSet, basename="pregnancy")
router.register("adolescent-girls", AdolescentGirlViewSet, basename="adolescent-girl")
router.register("adolescent-ttd", AdolescentTTDViewSet, basename="adolescent-ttd")
router.register("duplicates", DuplicateViewSet, basename="duplicate")
router.register("merges", MergeLogViewSet, basename="merge-log")

urlpatterns = [path("", include(router.urls))]
