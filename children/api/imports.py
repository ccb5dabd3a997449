"""/api/v1/imports/: upload an e-PPGBM file or a posyandu register, follow its dry run, read its issues, apply it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import BaseSerializer

from children.access import check_registry_write
from children.imports.services import import_job_apply_queue, import_job_create, issues_not_shown_text
from children.models import ImportJob, ImportRowIssue
from children.views.imports import (
    SUMMARY_LABELS,
    import_issue_list,
    import_job_get_for_user,
    import_job_list_for_user,
    validate_upload,
)
from convergence.api.conditional import ConditionalMixin
from convergence.http import AuthenticatedRequest
from convergence.models import User

SUMMARY = inline_serializer(
    name="ImportSummary",
    fields={
        **{
            key: serializers.IntegerField(required=False, help_text=str(label))
            for key, label in SUMMARY_LABELS
        },
        "ignored_columns": serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text=_("Judul kolom berkas yang tidak dikenal dan diabaikan, seperti tertulis di berkas."),
        ),
        "places": inline_serializer(
            name="ImportNewPlace",
            fields={
                "level": serializers.ChoiceField(choices=["puskesmas", "posyandu"]),
                "name": serializers.CharField(),
                "code": serializers.CharField(help_text=_("Kode lokal yang dibuat (kosong pada uji coba).")),
                "parent": serializers.CharField(help_text=_("Kode Kemendagri kecamatan atau desa induknya.")),
                "parent_name": serializers.CharField(help_text=_("Nama kecamatan atau desa induknya.")),
                "rows": serializers.IntegerField(help_text=_("Baris berkas yang menyebutnya.")),
            },
            many=True,
            required=False,
            help_text=_(
                "Hanya bila create_posyandu: puskesmas dan posyandu yang akan dibuat (uji coba) "
                "atau dibuat (diterapkan)."
            ),
        ),
    },
)


class ImportJobSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    uploaded_by: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(read_only=True)
    uploaded_by_name = serializers.CharField(source="uploaded_by.username", read_only=True)
    percent = serializers.IntegerField(source="progress_percent", read_only=True)
    issues_not_stored_text = serializers.SerializerMethodField(
        help_text=_("Kalimat untuk catatan per baris yang tidak disimpan (kosong bila tidak ada).")
    )
    summary = serializers.SerializerMethodField()
    create_posyandu = serializers.BooleanField(source="create_places", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "original_name",
            "uploaded_by",
            "uploaded_by_name",
            "status",
            "status_label",
            "rows_total",
            "rows_done",
            "percent",
            "summary",
            "create_posyandu",
            "issues_not_stored",
            "issues_not_stored_text",
            "error",
            "created_at",
            "checked_at",
            "applied_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SUMMARY)
    def get_summary(self, job: ImportJob) -> dict[str, Any]:
        summary = dict(job.summary or {})
        # The stored summary names a new place's parent region by name and code; the API's rule is the
        # code under the field's own name, the name as a label.
        if summary.get("places"):
            summary["places"] = [
                {**place, "parent": place.get("parent_code", ""), "parent_name": place.get("parent", "")}
                for place in summary["places"]
            ]
        return type(SUMMARY)(summary).data

    def get_issues_not_stored_text(self, job: ImportJob) -> str:
        return issues_not_shown_text(job.issues_not_stored) if job.issues_not_stored else ""


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "Berkas ekspor e-PPGBM atau register posyandu (.xlsx, .xls atau .csv). Batas ukuran, baris, kolom "
            "dan panjang sel: lihat halaman impor; berkas yang melampauinya gagal diuji coba dengan "
            "alasannya di `error`."
        ),
        validators=[validate_upload],
    )
    create_posyandu = serializers.BooleanField(
        default=False,
        help_text=_(
            "Admin Bappeda saja (peran lain: 403): buat puskesmas dan posyandu yang disebut berkas tetapi "
            "belum ada; desa dan kecamatan dicocokkan menurut nama di kabupaten."
        ),
    )


class ImportRowIssueSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = ImportRowIssue
        fields = ["row_number", "field", "message", "action", "action_label"]
        read_only_fields = fields


def _drf_error(error: ValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


@extend_schema_view(
    list=extend_schema(summary="List imports"),
    retrieve=extend_schema(summary="Retrieve an import: status, progress, summary"),
)
class ImportJobViewSet(
    ConditionalMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Import jobs: the caller's own; Bappeda, pimpinan and OPD officers see the kabupaten's."""

    request: AuthenticatedRequest

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser]  # the upload; the other actions take no body
    queryset = ImportJob.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self) -> QuerySet[ImportJob]:
        return import_job_list_for_user(user=self.request.user)

    def get_object(self) -> ImportJob:
        # Any id that is not one of ours is a 404 in the API's problem body, a word as well as a number.
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None
        return import_job_get_for_user(user=self.request.user, pk=pk)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "issues":
            return ImportRowIssueSerializer
        return ImportJobSerializer

    @extend_schema(
        summary="Upload a file: its dry run runs in the background",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
    )
    def create(self, request: Request) -> Response:
        check_registry_write(self.request.user)
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            job = import_job_create(
                user=self.request.user,
                uploaded_file=upload.validated_data["file"],
                create_places=upload.validated_data["create_posyandu"],
            )
        except ValidationError as error:
            raise _drf_error(error) from error
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="List the row issues of an import",
        parameters=[
            OpenApiParameter(
                "action",
                str,
                enum=list(ImportRowIssue.Action.values),
                description="Only issues with this action",
            )
        ],
        responses={200: ImportRowIssueSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def issues(self, request: AuthenticatedRequest, pk: str) -> Response:
        job = self.get_object()
        issues = import_issue_list(job=job, action=request.query_params.get("action", ""))
        page = self.paginate_queryset(issues)
        return self.get_paginated_response(ImportRowIssueSerializer(page, many=True).data)

    @extend_schema(
        summary="Apply a dry-run import",
        request=None,
        responses={202: ImportJobSerializer},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: AuthenticatedRequest, pk: str) -> Response:
        job = self.get_object()
        try:
            import_job_apply_queue(job_id=job.pk, user=request.user)
        except ValidationError as error:
            raise exceptions.ValidationError({"status": error.messages}) from error
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


router = DefaultRouter()
router.include_root_view = False
router.register("imports", ImportJobViewSet, basename="import")

urlpatterns = [path("", include(router.urls))]
