from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConvergenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "convergence"
    verbose_name = _("Konvergensi")
