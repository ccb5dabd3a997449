"""Forms of the interventions pages (parsing only; writes go through interventions.services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from convergence.choices import form_choices_limit
from interventions.models import FundingSource, Intervention, Referral, SubjectKind


class DeliveryForm(forms.Form):
    """A delivery to a subject picked from a gap/referral (kind + id) or found by NIK / KK number (POST)."""

    intervention: forms.ModelChoiceField[Intervention] = forms.ModelChoiceField(
        queryset=None, label=_("Intervensi")
    )
    subject_kind = forms.ChoiceField(choices=SubjectKind.choices, required=False, widget=forms.HiddenInput)
    subject_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    nik = forms.CharField(
        label=_("NIK sasaran (anak/ibu/remaja)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    kk_number = forms.CharField(
        label=_("Nomor KK (intervensi keluarga)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    delivered_on = forms.DateField(label=_("Tanggal"), widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.DecimalField(
        label=_("Jumlah"), max_digits=12, decimal_places=2, min_value=0.01, initial=1
    )
    unit = forms.CharField(
        label=_("Satuan"), max_length=20, required=False, help_text=_("Kosong: satuan intervensi.")
    )
    funding_source = forms.ChoiceField(label=_("Sumber dana"), choices=FundingSource.choices)
    provider_unit = forms.CharField(label=_("Unit pelaksana"), max_length=120, required=False)

    def __init__(self, *args: Any, interventions: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_choices_limit(self, "intervention", interventions)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("subject_id") and not data.get("nik") and not data.get("kk_number"):
            raise forms.ValidationError(_("Isi NIK atau Nomor KK sasaran."))
        return data


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status baru"),
        choices=[
            (Referral.Status.IN_PROGRESS, _("Diproses")),
            (Referral.Status.OPEN, _("Terbuka")),
            (Referral.Status.CANCELLED, _("Dibatalkan")),
        ],
    )
    note = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReferralCreateForm(forms.Form):
    intervention = forms.IntegerField(widget=forms.HiddenInput)
    subject_kind = forms.ChoiceField(choices=SubjectKind.choices, widget=forms.HiddenInput)
    subject_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    due_date = forms.DateField(label=_("Batas waktu"), widget=forms.DateInput(attrs={"type": "date"}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Berkas .csv atau .xlsx"))
