"""Each kind of work on its own queue (settings), so workers for one kind can run on other hosts."""

import pytest
from django.conf import settings

from config.celery import app

EXPECTED = {
    "children.import_check": "imports",
    "children.import_apply": "imports",
    "interventions.delivery_import_check": "imports",
    "interventions.delivery_import_apply": "imports",
    "reports.prevalence_refresh": "prevalence",
    "reports.prevalence_recompute_chunk": "prevalence",
    "children.duplicates_scan": "quality",
    "reports.prevalence_recompute_all": "nightly",
    "convergence.housekeeping": "nightly",
    "children.import_files_expire": "nightly",
    "interventions.delivery_import_files_expire": "nightly",
    "interventions.pmt_finish_due": "nightly",
    "interventions.pmt_submissions_expire": "nightly",
    "children.measurement_partitions_ahead": "nightly",
}


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def _project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


@pytest.mark.parametrize(("task_name", "kind"), sorted(EXPECTED.items()))
def test_each_task_goes_to_the_queue_of_its_kind(task_name, kind):
    assert _queue_of(task_name) == settings.CELERY_WORK_QUEUES[kind] == kind


def test_no_task_falls_through_to_the_default_queue():
    tasks = _project_tasks()
    assert set(tasks) == set(EXPECTED), "route the new task in CELERY_TASK_ROUTES and list it here"
    assert all(_queue_of(name) != settings.CELERY_TASK_DEFAULT_QUEUE for name in tasks)


def test_a_worker_without_queue_option_takes_every_kind_of_work():
    consumed = set(app.amqp.queues)
    assert set(settings.CELERY_WORK_QUEUES.values()) <= consumed
    assert settings.CELERY_TASK_DEFAULT_QUEUE in consumed


def test_the_beat_schedule_only_names_routed_tasks():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in EXPECTED
