"""API of bulk import jobs (issue 10): upload a file, get 202 and a job to poll.

POST /api/v1/import-jobs/ (multipart: file, dry_run) -> 202 {job}
GET  /api/v1/import-jobs/{id}/ -> {job}: status, rows, processed, created_count, errors
Only the uploading agency's jobs are visible (others: 404).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from blacklists import import_jobs
from blacklists.models import ImportJob
from scs.api import ErrorSerializer


class ImportJobSerializer(serializers.ModelSerializer):
    processed = serializers.SerializerMethodField()
    errors = serializers.JSONField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "filename",
            "size",
            "rows",
            "dry_run",
            "status",
            "processed",
            "created_count",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_processed(self, job) -> int:
        return import_jobs.import_job_progress(job)


class ImportJobInput(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=True)


class ImportJobCreate(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ImportJobInput},
        responses={202: ImportJobSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        operation_id="import_job_create",
        summary="Queue a bulk import of list entries (CSV or XLSX)",
    )
    def post(self, request):
        data = ImportJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = import_jobs.import_job_create(
            actor=request.user,
            upload=data.validated_data["file"],
            dry_run=data.validated_data["dry_run"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetail(generics.RetrieveAPIView):
    serializer_class = ImportJobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return ImportJob.objects.filter(agency_id=self.request.user.agency_id).defer("content")
