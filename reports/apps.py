from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Laporan")

    def ready(self) -> None:
        from children.changes import register_listener
        from reports.services import measurements_changed_queue
        from reports.tombstones import register as register_tombstones

        register_listener(measurements_changed_queue)
        register_tombstones()
