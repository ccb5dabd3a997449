from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Laporan")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from children.changes import register_listener
        from convergence.models import AssessmentGrade
        from reports.locks import assessment_grade_changed
        from reports.services import measurements_changed_queue
        from reports.tombstones import register as register_tombstones

        register_listener(measurements_changed_queue)
        register_tombstones()
        # The province dashboards cache the grades; convergence writes them and may not import reports.
        for signal in (post_save, post_delete):
            signal.connect(
                assessment_grade_changed, sender=AssessmentGrade, dispatch_uid="reports-grade-cache"
            )
