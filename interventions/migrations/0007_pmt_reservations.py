"""PMT: an episode's money is held by its reservations (0006 copied the single line into them)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("interventions", "0006_pmt_shares_finish")]

    operations = [
        migrations.RemoveField(model_name="pmtenrolment", name="budget_line"),
        migrations.AddField(
            model_name="pmtenrolment",
            name="budget_lines",
            field=models.ManyToManyField(
                related_name="enrolments",
                through="interventions.PMTReservation",
                to="interventions.budgetline",
                verbose_name="baris anggaran",
            ),
        ),
        migrations.AddIndex(
            model_name="pmtenrolment",
            index=models.Index(fields=["status", "start_date"], name="pmt_enrolment_status_start"),
        ),
        migrations.AddConstraint(
            model_name="pmtfunding",
            constraint=models.CheckConstraint(
                condition=models.Q(("share_percent__gt", 0), ("share_percent__lte", 100)),
                name="pmt_funding_share_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="pmtenrolment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "selesai"), _negated=True),
                    models.Q(("days_delivered__isnull", False), ("finished_on__isnull", False)),
                    _connector="OR",
                ),
                name="pmt_enrolment_finished_has_end",
            ),
        ),
        migrations.AddConstraint(
            model_name="pmtenrolment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("days_delivered__isnull", True),
                    ("days_delivered__lte", models.F("days")),
                    _connector="OR",
                ),
                name="pmt_enrolment_delivered_within_days",
            ),
        ),
        migrations.AddConstraint(
            model_name="pmtreservation",
            constraint=models.UniqueConstraint(
                fields=("enrolment", "budget_line"), name="pmt_reservation_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="pmtreservation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("amount__gte", 0), ("released__gte", 0), ("released__lte", models.F("amount"))
                ),
                name="pmt_reservation_released_within_amount",
            ),
        ),
    ]
