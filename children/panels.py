"""Sections that later apps add to the registry's pages, without the registry importing them.

Imports flow reports -> interventions -> children: the child page cannot ask interventions for the
deliveries a child received, so interventions registers a provider here when its app is ready.
A provider takes (user, child) and returns a ChildPanel or None; it must scope its own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from children.models import Child, Measurement, Person
from convergence.models import Posyandu, User


@dataclass(frozen=True)
class ChildPanel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


ChildPanelProvider = Callable[[User, Child], ChildPanel | None]

_CHILD_PANELS: list[ChildPanelProvider] = []


def register_child_panel(provider: ChildPanelProvider) -> ChildPanelProvider:
    if provider not in _CHILD_PANELS:
        _CHILD_PANELS.append(provider)
    return provider


def child_panels(*, user: User, child: Child) -> list[ChildPanel]:
    return [panel for provider in _CHILD_PANELS if (panel := provider(user, child)) is not None]


PersonPanelProvider = Callable[[User, Person], ChildPanel | None]

_PERSON_PANELS: list[PersonPanelProvider] = []


def register_person_panel(provider: PersonPanelProvider) -> PersonPanelProvider:
    """A section of the person (mother) page, on the same terms as the child page's."""
    if provider not in _PERSON_PANELS:
        _PERSON_PANELS.append(provider)
    return provider


def person_panels(*, user: User, person: Person) -> list[ChildPanel]:
    return [panel for provider in _PERSON_PANELS if (panel := provider(user, person)) is not None]


PosyanduPanelProvider = Callable[[User, Posyandu], ChildPanel | None]

_POSYANDU_PANELS: list[PosyanduPanelProvider] = []


def register_posyandu_panel(provider: PosyanduPanelProvider) -> PosyanduPanelProvider:
    """A section of the kader's home page about her posyandu (the open referrals of its children)."""
    if provider not in _POSYANDU_PANELS:
        _POSYANDU_PANELS.append(provider)
    return provider


def posyandu_panels(*, user: User, posyandu: Posyandu) -> list[ChildPanel]:
    return [panel for provider in _POSYANDU_PANELS if (panel := provider(user, posyandu)) is not None]


# (user, results) -> {measurement id: panel}: one call per page, so a provider reads all rows at once.
ResultActionProvider = Callable[[User, list[Measurement]], dict[int, ChildPanel]]

_RESULT_ACTIONS: list[ResultActionProvider] = []


def register_result_action(provider: ResultActionProvider) -> ResultActionProvider:
    """Actions under measurement results (the referral of a result with alerts), on the same terms."""
    if provider not in _RESULT_ACTIONS:
        _RESULT_ACTIONS.append(provider)
    return provider


def result_actions(*, user: User, measurements: Iterable[Measurement]) -> dict[int, list[ChildPanel]]:
    """The actions `user` may take under each of `measurements`, by measurement id."""
    measurements = list(measurements)
    found: dict[int, list[ChildPanel]] = {}
    for provider in _RESULT_ACTIONS:
        for pk, panel in provider(user, measurements).items():
            found.setdefault(pk, []).append(panel)
    return found
