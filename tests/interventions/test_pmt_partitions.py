"""PMT delivery logs partitioned by year on PostgreSQL: the rebuilt table and a year made on demand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from children import partitions
from children.partitions import partitioned_tables, partitions_status
from interventions import services_pmt as svc
from interventions.models import PMTCategory
from interventions.partitions import PMT_DELIVERY_LOG
from tests.factories import DistrictFixture
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL partitions the delivery logs"
)

TABLE = "interventions_pmtdeliverylog"


def _fetch(sql: str, params: list[object]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def test_the_delivery_log_is_partitioned_by_day_keeping_its_keys(db: None) -> None:
    assert PMT_DELIVERY_LOG in partitioned_tables()
    assert _fetch("SELECT pg_get_partkeydef(%s::regclass)", [TABLE]) == [("RANGE (delivered_on)",)]
    keys = set(_fetch("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                      "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'c')", [TABLE]))  # fmt: skip
    assert keys == {
        (f"{TABLE}_pkey", "PRIMARY KEY (id, delivered_on)"),
        ("pmt_delivery_once_a_day", "UNIQUE (enrolment_id, delivered_on)"),
        ("pmt_delivery_days_positive", "CHECK ((days_delivered > 0))"),
        (f"{TABLE}_days_delivered_check", "CHECK ((days_delivered >= 0))"),
    }


def test_a_delivery_of_a_year_without_partition_creates_it(district: DistrictFixture) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}_y{START.year}")
    partitions.partitions_forget()
    programme = make_programme(district, make_line(district, Decimal(1_000_000)), PMTCategory.GIZI_KURANG)
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"], programme=programme, recipient=wasted_child(district),
        start_date=START,
    )  # fmt: skip

    log = svc.pmt_delivery_record(
        user=district.users["kader"], enrolment=enrolment, delivered_on=START, days_delivered=7,
        food_form="matang",
    )  # fmt: skip

    where = _fetch(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [log.pk])  # noqa: S608
    assert where == [(f"{TABLE}_y{START.year}",)]
    assert START.year in {i.year for i in partitions_status() if i.table == TABLE and i.attached}
    partitions.partitions_forget()
