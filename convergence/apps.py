from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConvergenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "convergence"
    verbose_name = _("Konvergensi")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from convergence import checks, ratelimit

        user_login_failed.connect(ratelimit.on_user_login_failed, dispatch_uid="convergence-login-failures")
        checks.register()
