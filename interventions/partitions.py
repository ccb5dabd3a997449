"""The interventions table partitioned by year on PostgreSQL (children.partitions): PMT delivery logs.

By-name deliveries (interventions_delivery) stay one table: referrals point at them with a foreign key,
which on a partitioned table would need the delivery's date in every referral.
"""

from __future__ import annotations

from children.partitions import PartitionedTable

PMT_DELIVERY_LOG = PartitionedTable(table="interventions_pmtdeliverylog", column="delivered_on")
