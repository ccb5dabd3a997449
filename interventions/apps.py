from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterventionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interventions"
    verbose_name = _("Intervensi")

    def ready(self) -> None:
        from children.panels import (
            register_child_panel,
            register_person_panel,
            register_posyandu_panel,
            register_result_action,
        )
        from children.partitions import partitioned_table_register
        from children.pii_rotation import sealed_uploads_register
        from interventions.models import DeliveryImportJob
        from interventions.panels import (
            child_deliveries_panel,
            child_pmt_panel,
            measurement_referral_actions,
            person_pmt_panel,
            posyandu_referrals_panel,
        )
        from interventions.partitions import PMT_DELIVERY_LOG
        from interventions.tombstones import register as register_tombstones

        register_child_panel(child_deliveries_panel)
        register_child_panel(child_pmt_panel)
        register_person_panel(person_pmt_panel)
        register_posyandu_panel(posyandu_referrals_panel)
        register_result_action(measurement_referral_actions)
        register_tombstones()
        # The OPDs' delivery sheets are sealed like the registers: key rotation reseals them too.
        sealed_uploads_register(DeliveryImportJob)
        partitioned_table_register(PMT_DELIVERY_LOG)
