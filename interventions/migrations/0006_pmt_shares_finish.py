"""PMT: funding shares, reservations per budget line, finished episodes and their stored outcome.

Existing episodes keep their one line: a reservation of their whole cost on it (0007 then drops the
column). Finished episodes get their planned last day and the days logged; nothing is released (no
money moves in a migration). Programmes funded by several lines get equal shares.
"""

import datetime
from decimal import ROUND_DOWN, Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Enrolment = apps.get_model("interventions", "PMTEnrolment")
    Reservation = apps.get_model("interventions", "PMTReservation")
    Funding = apps.get_model("interventions", "PMTFunding")
    Rate = apps.get_model("interventions", "PMTRate")
    DeliveryLog = apps.get_model("interventions", "PMTDeliveryLog")
    rates = list(Rate.objects.order_by("-valid_from"))
    reservations = []
    for enrolment in Enrolment.objects.select_related("programme").iterator():
        reservations.append(
            Reservation(
                enrolment_id=enrolment.pk, budget_line_id=enrolment.budget_line_id, amount=enrolment.cost
            )
        )
        programme = enrolment.programme
        candidates = [
            r
            for r in rates
            if r.category == programme.category
            and r.valid_from <= enrolment.start_date
            and r.daily_rate == enrolment.daily_rate
            and r.duration_days == enrolment.days
        ]
        own = [r for r in candidates if r.kabupaten_id == programme.kabupaten_id]
        default = [r for r in candidates if r.kabupaten_id is None]
        chosen = own or default
        enrolment.rate_id = chosen[0].pk if chosen else None
        fields = ["rate"]
        if enrolment.status == "selesai":
            logged = sum(
                DeliveryLog.objects.filter(enrolment_id=enrolment.pk).values_list("days_delivered", flat=True)
            )
            enrolment.finished_on = enrolment.start_date + datetime.timedelta(days=enrolment.days - 1)
            enrolment.days_delivered = min(logged, enrolment.days)
            fields += ["finished_on", "days_delivered"]
        enrolment.save(update_fields=fields)
    Reservation.objects.bulk_create(reservations, batch_size=2000)
    by_programme = {}
    for funding in Funding.objects.order_by("programme_id", "budget_line_id"):
        by_programme.setdefault(funding.programme_id, []).append(funding)
    for fundings in by_programme.values():
        if len(fundings) < 2:
            continue
        each = (Decimal(100) / len(fundings)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        for funding in fundings[:-1]:
            funding.share_percent = each
            funding.save(update_fields=["share_percent"])
        fundings[-1].share_percent = Decimal(100) - each * (len(fundings) - 1)
        fundings[-1].save(update_fields=["share_percent"])


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0004_registries"),
        ("convergence", "0002_actions_meetings"),
        ("interventions", "0005_pmt_default_rates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PMTOutcome",
            fields=[
                (
                    "enrolment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="outcome",
                        serialize=False,
                        to="interventions.pmtenrolment",
                        verbose_name="episode",
                    ),
                ),
                (
                    "measured_before_on",
                    models.DateField(blank=True, null=True, verbose_name="diukur sebelum"),
                ),
                ("measured_after_on", models.DateField(blank=True, null=True, verbose_name="diukur sesudah")),
                (
                    "weight_before_kg",
                    models.DecimalField(
                        decimal_places=2, max_digits=5, null=True, verbose_name="berat sebelum (kg)"
                    ),
                ),
                (
                    "weight_after_kg",
                    models.DecimalField(
                        decimal_places=2, max_digits=5, null=True, verbose_name="berat sesudah (kg)"
                    ),
                ),
                (
                    "weight_gain_kg",
                    models.DecimalField(
                        decimal_places=2, max_digits=5, null=True, verbose_name="kenaikan berat (kg)"
                    ),
                ),
                ("z_change", models.FloatField(null=True, verbose_name="perubahan z-score")),
                (
                    "lila_before_cm",
                    models.DecimalField(
                        decimal_places=1, max_digits=4, null=True, verbose_name="LiLA sebelum (cm)"
                    ),
                ),
                (
                    "lila_after_cm",
                    models.DecimalField(
                        decimal_places=1, max_digits=4, null=True, verbose_name="LiLA sesudah (cm)"
                    ),
                ),
                (
                    "lila_change_cm",
                    models.DecimalField(
                        decimal_places=1, max_digits=4, null=True, verbose_name="perubahan LiLA (cm)"
                    ),
                ),
                ("recovered", models.BooleanField(null=True, verbose_name="pulih")),
                ("computed_on", models.DateField(verbose_name="dihitung")),
            ],
            options={"verbose_name": "hasil episode PMT", "verbose_name_plural": "hasil episode PMT"},
        ),
        migrations.CreateModel(
            name="PMTReservation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(decimal_places=0, max_digits=15, verbose_name="dicadangkan (Rp)"),
                ),
                (
                    "released",
                    models.DecimalField(
                        decimal_places=0,
                        default=Decimal("0"),
                        max_digits=15,
                        verbose_name="dikembalikan (Rp)",
                    ),
                ),
                (
                    "budget_line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reservations",
                        to="interventions.budgetline",
                        verbose_name="baris anggaran",
                    ),
                ),
                (
                    "enrolment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reservations",
                        to="interventions.pmtenrolment",
                        verbose_name="episode",
                    ),
                ),
            ],
            options={
                "verbose_name": "pencadangan PMT",
                "verbose_name_plural": "pencadangan PMT",
                "ordering": ["enrolment_id", "budget_line_id"],
            },
        ),
        migrations.AlterModelOptions(
            name="pmtfunding",
            options={
                "ordering": ["programme_id", "budget_line_id"],
                "verbose_name": "pendanaan PMT",
                "verbose_name_plural": "pendanaan PMT",
            },
        ),
        migrations.AddField(
            model_name="pmtenrolment",
            name="days_delivered",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="hari tersalurkan"),
        ),
        migrations.AddField(
            model_name="pmtenrolment",
            name="finished_by",
            field=models.ForeignKey(
                blank=True,
                help_text="Kosong: diselesaikan otomatis setelah tanggal akhir.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="diselesaikan oleh",
            ),
        ),
        migrations.AddField(
            model_name="pmtenrolment",
            name="finished_on",
            field=models.DateField(blank=True, null=True, verbose_name="tanggal selesai"),
        ),
        migrations.AddField(
            model_name="pmtenrolment",
            name="rate",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="enrolments",
                to="interventions.pmtrate",
                verbose_name="tarif",
            ),
        ),
        migrations.AddField(
            model_name="pmtfunding",
            name="share_percent",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("100"), max_digits=5, verbose_name="porsi (%)"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
