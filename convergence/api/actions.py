"""REST API of the eight actions, their outputs and evidence, TPPS, KPM/TPK rosters,
meetings, attendance and follow-ups.

Querysets come from convergence.selectors_actions (a row of another kabupaten is a 404); writes go
through convergence.services_actions (never serializer.save()); roles that only read get a 403.
Evidence files are downloaded from the permission-checked page `aksi/dokumen/<id>/`.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, QuerySet
from django.urls import include, path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from convergence import selectors_actions as selectors
from convergence import services_actions as services
from convergence.api.conditional import ConditionalMixin
from convergence.api.filtering import FilterSet, IdFilter, IntegerFilter
from convergence.api.serializers import OPDLabels, RegionCodeField
from convergence.choices import serializer_choices_limit
from convergence.http import AuthenticatedRequest
from convergence.models import (
    OPD,
    ActionOutput,
    Attendance,
    ConvergenceAction,
    EvidenceDocument,
    FieldWorker,
    FollowUp,
    Meeting,
    Region,
    Role,
    Team,
    TeamMember,
)
from convergence.scoping import restrict, scope_for_user

# --- errors and permissions ---------------------------------------------------------------------------


class ConvergenceWrite(BasePermission):
    """Reads for every scoped user; writes only for Bappeda and OPD officers (the services say which rows)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        scope = scope_for_user(request.user)
        return scope.is_superuser or scope.role in (Role.BAPPEDA_ADMIN, Role.OPD_OFFICER)


class _Base(ConditionalMixin, viewsets.GenericViewSet):
    request: AuthenticatedRequest
    permission_classes = [IsAuthenticated, ConvergenceWrite]


def _scoped_opd(request: Request) -> QuerySet[OPD]:
    return restrict(OPD.objects.all(), request.user)


# --- TPPS and rosters ---------------------------------------------------------------------------------


class TeamMemberSerializer(OPDLabels, serializers.ModelSerializer):
    opd: serializers.PrimaryKeyRelatedField[OPD] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = TeamMember
        fields = ["id", "name", "position_in_team", "jabatan", "opd", "opd_code", "opd_name"]


class TeamSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    level = serializers.CharField(source="region.level", read_only=True)
    members = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "region",
            "level",
            "decree_number",
            "decree_date",
            "period_start",
            "period_end",
            "members",
        ]


class TeamFilter(FilterSet):
    level = django_filters.ChoiceFilter(
        field_name="region__level", choices=Region._meta.get_field("level").choices
    )

    class Meta:
        model = Team
        fields = ["region", "level"]


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """TPPS of the kabupaten, its kecamatan and desa, with members (created by Bappeda in the admin)."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilter

    def get_queryset(self) -> QuerySet[Team]:
        return selectors.team_list_for_user(user=self.request.user).prefetch_related("members__opd")


@extend_schema_field(OpenApiTypes.STR)
class _KindField(serializers.ChoiceField):
    """A `kind` choice documented as a string with its values in the help text.

    drf-spectacular names enums after the field; another app's `kind` enum would collide with ours.
    """


class FieldWorkerSerializer(serializers.ModelSerializer):
    kind = _KindField(choices=FieldWorker.Kind.choices, read_only=True, help_text="kpm | tpk")
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = FieldWorker
        fields = ["id", "kind", "name", "desa", "decree_number", "period_start", "period_end", "phone"]


class FieldWorkerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """KPM and TPK rosters, seen in the desa of the caller's scope."""

    serializer_class = FieldWorkerSerializer
    filterset_fields = ["kind", "desa"]

    def get_queryset(self) -> QuerySet[FieldWorker]:
        return selectors.field_worker_list_for_user(user=self.request.user)


# --- actions, outputs, evidence, grades ---------------------------------------------------------------


class ActionSerializer(serializers.ModelSerializer):
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    label_2018 = serializers.CharField(read_only=True)
    label_kemendagri = serializers.CharField(read_only=True)
    late = serializers.SerializerMethodField()
    pic_opd = serializers.PrimaryKeyRelatedField(queryset=OPD.objects.none(), allow_null=True, required=False)
    pic_opd_code = serializers.CharField(source="pic_opd.code", read_only=True, allow_null=True)
    pic_opd_name = serializers.CharField(source="pic_opd.name", read_only=True, allow_null=True)

    class Meta:
        model = ConvergenceAction
        fields = [
            "id",
            "kabupaten",
            "year",
            "number",
            "label_2018",
            "label_kemendagri",
            "pic_opd",
            "pic_opd_code",
            "pic_opd_name",
            "person_in_charge",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "status",
            "late",
        ]
        read_only_fields = ["year", "number"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            serializer_choices_limit(self, "pic_opd", _scoped_opd(request))

    @extend_schema_field(serializers.BooleanField())
    def get_late(self, action: ConvergenceAction) -> bool:
        # No query: lateness is computed from the row's own fields.
        return selectors.action_is_late(action, today=timezone.localdate())


class ActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, _Base):
    """The eight actions per year; PATCH status, dates and person in charge (Bappeda or the PIC OPD)."""

    serializer_class = ActionSerializer
    filterset_fields = {"year": ["exact"], "number": ["exact"], "status": ["exact"]}
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ConvergenceAction]:
        return selectors.action_list_for_user(user=self.request.user)

    def perform_update(self, serializer: serializers.BaseSerializer[ConvergenceAction]) -> None:
        action = serializer.instance
        if action is None:  # UpdateModelMixin always passes the object
            raise TypeError("an update without an instance")
        serializer.instance = services.action_update(
            user=self.request.user, action=action, **serializer.validated_data
        )


class ActionOutputSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="action.year", read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ActionOutput
        fields = ["id", "action", "year", "code", "title", "required", "done", "done_on", "evidence_count"]
        read_only_fields = ["action", "code", "title", "required"]


class ActionOutputFilter(FilterSet):
    year = IntegerFilter(field_name="action__year", column=ConvergenceAction._meta.get_field("year"))

    class Meta:
        model = ActionOutput
        fields = ["action", "year", "done"]


class ActionOutputViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, _Base):
    """Outputs of the actions; PATCH done/done_on (Bappeda or the PIC OPD)."""

    serializer_class = ActionOutputSerializer
    filterset_class = ActionOutputFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ActionOutput]:
        return selectors.output_list_for_user(user=self.request.user).annotate(
            evidence_count=Count("evidence")
        )

    def perform_update(self, serializer: serializers.BaseSerializer[ActionOutput]) -> None:
        output = serializer.instance
        if output is None:  # UpdateModelMixin always passes the object
            raise TypeError("an update without an instance")
        data = serializer.validated_data
        services.action_output_set(
            user=self.request.user,
            output=output,
            done=data.get("done", output.done),
            done_on=data.get("done_on", output.done_on),
        )
        serializer.instance = self.get_queryset().get(pk=output.pk)


class EvidenceSerializer(serializers.ModelSerializer):
    output = serializers.PrimaryKeyRelatedField(queryset=ActionOutput.objects.none())
    action = serializers.IntegerField(source="output.action_id", read_only=True)
    file = serializers.FileField(write_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceDocument
        fields = [
            "id",
            "output",
            "action",
            "doc_type",
            "file",
            "original_name",
            "size_bytes",
            "sha256",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = ["original_name", "size_bytes", "sha256", "uploaded_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            serializer_choices_limit(self, "output", selectors.output_list_for_user(user=request.user))

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, document: EvidenceDocument) -> str:
        return reverse("convergence:evidence-download", args=[document.pk])


class EvidenceFilter(FilterSet):
    action = IdFilter(field_name="output__action")

    class Meta:
        model = EvidenceDocument
        fields = ["output", "action"]


class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Base):
    """Evidence documents; POST multipart (output, doc_type, file): type and size are checked."""

    serializer_class = EvidenceSerializer
    parser_classes = [MultiPartParser]  # a file: multipart only
    filterset_class = EvidenceFilter

    def get_queryset(self) -> QuerySet[EvidenceDocument]:
        return selectors.evidence_list_for_user(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.evidence_upload(
            user=self.request.user, output=data["output"], upload=data["file"], doc_type=data["doc_type"]
        )


# --- meetings -----------------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    kind = _KindField(choices=Meeting.Kind.choices, help_text=" | ".join(Meeting.Kind.values))
    region = RegionCodeField(queryset=Region.objects.none())
    level = serializers.CharField(source="region.level", read_only=True)
    action = serializers.PrimaryKeyRelatedField(
        queryset=ConvergenceAction.objects.none(), allow_null=True, required=False
    )
    invited = serializers.PrimaryKeyRelatedField(queryset=OPD.objects.none(), many=True, required=False)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "kind",
            "region",
            "level",
            "held_on",
            "action",
            "agenda",
            "minutes",
            "invited",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            serializer_choices_limit(self, "region", restrict(Region.objects.all(), request.user))
            serializer_choices_limit(self, "action", selectors.action_list_for_user(user=request.user))
            serializer_choices_limit(self, "invited", _scoped_opd(request))


class MeetingFilter(FilterSet):
    level = django_filters.ChoiceFilter(
        field_name="region__level", choices=Region._meta.get_field("level").choices
    )

    class Meta:
        model = Meeting
        fields = {
            "kind": ["exact"],
            "held_on": ["exact", "gte", "lte"],
            "region": ["exact"],
        }


class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Base):
    """Meetings (rembuk stunting, mini lokakarya, coordination); POST creates one (Bappeda)."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self) -> QuerySet[Meeting]:
        return selectors.meeting_list_for_user(user=self.request.user).prefetch_related("invited")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.meeting_save(user=self.request.user, **serializer.validated_data)


class AttendanceSerializer(OPDLabels, serializers.ModelSerializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.none())
    opd = serializers.PrimaryKeyRelatedField(queryset=OPD.objects.none())

    class Meta:
        model = Attendance
        fields = [
            "id",
            "meeting",
            "opd",
            "opd_code",
            "opd_name",
            "present",
            "attendee_name",
            "attendee_jabatan",
        ]
        # Recording twice updates the row (service upsert): no unique-together validator here.
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            serializer_choices_limit(
                self, "meeting", restrict(Meeting.objects.select_related("kabupaten"), request.user)
            )
            serializer_choices_limit(self, "opd", _scoped_opd(request))


class AttendanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Base):
    """Attendance per meeting and OPD; POST records (or corrects) one (Bappeda, or the OPD itself)."""

    serializer_class = AttendanceSerializer
    filterset_fields = {"meeting": ["exact"], "opd": ["exact"]}

    def get_queryset(self) -> QuerySet[Attendance]:
        return selectors.attendance_list_for_user(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.attendance_record(user=self.request.user, **serializer.validated_data)


class FollowUpSerializer(serializers.ModelSerializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.none())
    owner_opd = serializers.PrimaryKeyRelatedField(queryset=OPD.objects.none())
    owner_opd_code = serializers.CharField(source="owner_opd.code", read_only=True)
    owner_opd_name = serializers.CharField(source="owner_opd.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "meeting",
            "description",
            "owner_opd",
            "owner_opd_code",
            "owner_opd_name",
            "due_date",
            "status",
            "done_on",
            "note",
            "overdue",
        ]
        read_only_fields = ["done_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            serializer_choices_limit(
                self, "meeting", restrict(Meeting.objects.select_related("kabupaten"), request.user)
            )
            serializer_choices_limit(self, "owner_opd", _scoped_opd(request))

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, follow_up: FollowUp) -> bool:
        return selectors.follow_up_is_overdue(follow_up, today=timezone.localdate())


class FollowUpUpdateSerializer(serializers.Serializer):
    """What a PATCH of a follow-up may change."""

    status = serializers.ChoiceField(choices=FollowUp.Status.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class FollowUpViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, _Base
):
    """Follow-up items; POST adds one (Bappeda); PATCH status/note (Bappeda or the owner OPD)."""

    serializer_class = FollowUpSerializer
    filterset_fields = {"meeting": ["exact"], "owner_opd": ["exact"], "status": ["exact"]}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[FollowUp]:
        return selectors.follow_up_list_for_user(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.follow_up_create(
            user=self.request.user,
            meeting=data["meeting"],
            description=data["description"],
            owner_opd=data["owner_opd"],
            due_date=data["due_date"],
        )

    @extend_schema(request=FollowUpUpdateSerializer, responses=FollowUpSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        follow_up = self.get_object()
        changes = FollowUpUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        services.follow_up_update(
            user=request.user,
            follow_up=follow_up,
            status=changes.validated_data.get("status", follow_up.status),
            note=changes.validated_data.get("note"),
        )
        return Response(self.get_serializer(follow_up).data, status=status.HTTP_200_OK)


router = DefaultRouter()
router.include_root_view = False
router.register("teams", TeamViewSet, basename="team")
router.register("field-workers", FieldWorkerViewSet, basename="field-worker")
router.register("actions", ActionViewSet, basename="action")
router.register("action-outputs", ActionOutputViewSet, basename="action-output")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("attendances", AttendanceViewSet, basename="attendance")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")

urlpatterns = [path("", include(router.urls))]
