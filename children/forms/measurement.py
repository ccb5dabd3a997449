"""The posyandu-day entry form: one small form per child, prefixed with the child's id."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from children.models import Measurement
from convergence.formfields import LocalizedDecimalField


class MeasurementForm(forms.Form):
    """The values a kader enters for one child; the rules on them live in children.services."""

    measured_on = forms.DateField(
        label=_("Tanggal pengukuran"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    weight_kg = LocalizedDecimalField(label=_("Berat (kg)"), required=False, max_digits=5, decimal_places=2)
    height_cm = LocalizedDecimalField(
        label=_("Panjang/tinggi (cm)"),
        required=False,
        max_digits=5,
        decimal_places=1,
    )
    position = forms.ChoiceField(
        label=_("Cara ukur"),
        required=False,
        choices=[(Measurement.Position.LYING, _("Telentang")), (Measurement.Position.STANDING, _("Berdiri"))],
        widget=forms.RadioSelect,
    )
    lila_cm = LocalizedDecimalField(label=_("LiLA (cm)"), required=False, max_digits=4, decimal_places=1)
    head_circumference_cm = LocalizedDecimalField(
        label=_("Lingkar kepala (cm)"),
        required=False,
        max_digits=4,
        decimal_places=1,
    )
    oedema = forms.BooleanField(label=_("Edema"), required=False)
    vitamin_a = forms.BooleanField(label=_("Vitamin A"), required=False)
    pmt_received = forms.BooleanField(label=_("PMT diterima"), required=False)
    remeasure_confirmed = forms.BooleanField(label=_("Sudah diukur ulang, nilainya benar"), required=False)
    # Made when the form is drawn: a form sent twice (a double tap, a resend after a lost answer) is
    # recognised and answers the row the first one made.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The row the form shows for correction: only that row's values are replaced by a save.
    corrects = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, first_day: datetime.date, last_day: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_day, self.last_day = first_day, last_day
        self.fields["measured_on"].widget.attrs.update(
            {"min": first_day.isoformat(), "max": last_day.isoformat()}
        )

    def clean_measured_on(self) -> datetime.date:
        # The page is one month's posyandu day: a date of another month belongs on that month's page.
        day: datetime.date = self.cleaned_data["measured_on"]
        if not self.first_day <= day <= self.last_day:
            raise forms.ValidationError(
                _("Tanggal pengukuran harus di bulan yang sama (%(first)s sampai %(last)s)."),
                params={
                    "first": self.first_day.strftime("%d-%m-%Y"),
                    "last": self.last_day.strftime("%d-%m-%Y"),
                },
            )
        return day

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned values as children.services.measurement_record keyword arguments."""
        data = self.cleaned_data
        return {name: data[name] for name in self.fields} | {"position": data["position"] or ""}
