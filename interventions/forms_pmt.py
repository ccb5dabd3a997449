"""Forms of the PMT money pages (parsing only; writes go through interventions.services_pmt).

Every form carries a hidden one-time `token` (interventions.submissions): a second submit of the same
rendered form replays the first result instead of writing again.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from children.search import MIN_CHARS
from convergence.choices import field_searchable
from interventions.models import FundingSource, PMTCategory, PMTDeliveryLog
from interventions.submissions import KEY_MAX_LENGTH, submission_token

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RupiahField(forms.Field):
    """Whole rupiah as people type them: "1.500.000", "Rp 1.500.000", "1500000" or "1.500.000,00"."""

    default_error_messages = {"invalid": _("Tulis jumlah rupiah bulat, misalnya 1.500.000.")}

    def __init__(self, **kwargs: Any) -> None:
        attrs = {"inputmode": "numeric", "autocomplete": "off", "maxlength": "24"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value or "").strip()
        if not text:
            return None
        text = re.sub(r"^rp\.?", "", text, flags=re.IGNORECASE).replace(" ", "").replace(".", "")
        whole, _sep, cents = text.partition(",")
        if not whole.isdigit() or (cents and set(cents) != {"0"}):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return Decimal(int(whole))


def picked(label: Any, *, required: bool = True) -> forms.IntegerField:
    """An id chosen from a searched, scoped list; the view fetches it through its scoped selector (an id
    outside the user's sight is "not found"), so the options need not hold every row."""
    return forms.IntegerField(label=label, required=required, min_value=1, widget=forms.Select)


def set_options(field: forms.Field, options: list[tuple[Any, str]], empty: Any = None) -> None:
    field.widget.choices = [("", empty), *options] if empty is not None else options


class TokenForm(forms.Form):
    """A form sent once: its token is made when it is rendered and claimed when it is submitted."""

    token = forms.CharField(widget=forms.HiddenInput, min_length=16, max_length=KEY_MAX_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", submission_token())


class BudgetLineForm(TokenForm):
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    source = forms.ChoiceField(label=_("Sumber dana"), choices=FundingSource.choices)
    opd = forms.TypedChoiceField(label=_("OPD pemegang"), coerce=int, required=False, empty_value=None)
    desa = picked(_("Desa pemegang"), required=False)
    name = forms.CharField(label=_("Nama baris anggaran"), max_length=255)
    programme_code = forms.CharField(label=_("Kode program"), max_length=40, required=False)
    activity_code = forms.CharField(label=_("Kode kegiatan"), max_length=40, required=False)
    sub_activity_code = forms.CharField(label=_("Kode sub kegiatan"), max_length=40, required=False)
    allocated = RupiahField(label=_("Pagu (Rp)"))

    def __init__(
        self,
        *args: Any,
        opd_choices: list[tuple[int, str]],
        desa_choices: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opd"].choices = [("", _("(bukan OPD)")), *opd_choices]  # type: ignore[attr-defined]
        set_options(self.fields["desa"], desa_choices, _("(bukan desa)"))
        field_searchable(self.fields["desa"], "convergence:search-desa", minimum=0)
        self.initial.setdefault("year", timezone.localdate().year)


class RevisionForm(TokenForm):
    new_allocated = RupiahField(label=_("Pagu baru (Rp)"))
    revised_on = forms.DateField(label=_("Tanggal revisi"), widget=DATE)
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 2}))


class DisbursementForm(TokenForm):
    amount = RupiahField(label=_("Jumlah (Rp)"))
    payee = forms.CharField(label=_("Penerima pembayaran"), max_length=200)
    paid_on = forms.DateField(label=_("Tanggal bayar"), widget=DATE)
    enrolment = picked(_("Episode PMT (boleh kosong)"), required=False)
    note = forms.CharField(label=_("Keterangan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, enrolment_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_options(self.fields["enrolment"], enrolment_choices, _("(tanpa episode)"))


class DecisionForm(TokenForm):
    """Approve or reject a pending disbursement (the button pressed says which)."""


class ReversalForm(TokenForm):
    paid_on = forms.DateField(label=_("Tanggal pembalikan"), widget=DATE)
    note = forms.CharField(label=_("Alasan pembalikan"), widget=forms.Textarea(attrs={"rows": 2}))


class RateForm(TokenForm):
    category = forms.ChoiceField(label=_("Kategori sasaran"), choices=PMTCategory.choices)
    valid_from = forms.DateField(label=_("Berlaku mulai"), widget=DATE)
    daily_rate = RupiahField(label=_("Biaya per hari per sasaran (Rp)"))
    duration_days = forms.IntegerField(label=_("Lama (hari)"), min_value=1, max_value=365)
    source = forms.CharField(label=_("Sumber"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


FUNDING_ROWS = 3


class ProgrammeForm(TokenForm):
    """A programme and up to FUNDING_ROWS funding lines with their shares (%), adding up to 100."""

    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Nama program"), max_length=200)
    category = forms.ChoiceField(label=_("Kategori sasaran"), choices=PMTCategory.choices)
    starts_on = forms.DateField(label=_("Mulai"), widget=DATE)
    ends_on = forms.DateField(label=_("Selesai"), widget=DATE)
    opd = forms.TypedChoiceField(label=_("OPD pelaksana"), coerce=int)

    def __init__(
        self,
        *args: Any,
        opd_choices: list[tuple[int, str]],
        line_choices: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opd"].choices = opd_choices  # type: ignore[attr-defined]
        for n in range(1, FUNDING_ROWS + 1):
            self.fields[f"line_{n}"] = picked(_("Baris anggaran %(n)s") % {"n": n}, required=n == 1)
            set_options(self.fields[f"line_{n}"], line_choices, "-")
            self.fields[f"share_{n}"] = forms.DecimalField(
                label=_("Porsi baris %(n)s (%%)") % {"n": n},
                required=n == 1,
                max_digits=5,
                decimal_places=2,
                localize=True,
                initial=Decimal(100) if n == 1 else None,
            )
        self.initial.setdefault("year", timezone.localdate().year)

    def fundings(self) -> list[tuple[int, Decimal]]:
        """(line id, share %) of the filled funding rows."""
        data = self.cleaned_data
        return [
            (data[f"line_{n}"], data[f"share_{n}"] or Decimal(0))
            for n in range(1, FUNDING_ROWS + 1)
            if data.get(f"line_{n}")
        ]


class EnrolmentForm(TokenForm):
    programme = forms.TypedChoiceField(label=_("Program PMT"), coerce=int)
    recipient = picked(_("Sasaran"))
    start_date = forms.DateField(label=_("Tanggal mulai"), widget=DATE)

    def __init__(
        self,
        *args: Any,
        programme_choices: list[tuple[int, str]],
        recipient_choices: list[tuple[int, str]],
        mothers: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = programme_choices  # type: ignore[attr-defined]
        set_options(self.fields["recipient"], recipient_choices)
        # With JavaScript the recipient is searched among all of the user's scope, not only the fifty
        # listed; the view fetches the one chosen through its scoped selector, the service checks that
        # she is eligible.
        url_name = "children:search-person" if mothers else "children:search-child"
        field_searchable(self.fields["recipient"], url_name, minimum=MIN_CHARS)
        self.initial.setdefault("start_date", timezone.localdate())


class FinishForm(TokenForm):
    finished_on = forms.DateField(label=_("Tanggal selesai"), widget=DATE, required=False)


class DeliveryLogForm(TokenForm):
    delivered_on = forms.DateField(label=_("Tanggal penyaluran"), widget=DATE)
    days_delivered = forms.IntegerField(label=_("Jumlah hari makanan"), min_value=1, max_value=365)
    food_form = forms.ChoiceField(label=_("Bentuk makanan"), choices=PMTDeliveryLog.FoodForm.choices)
    delivered_by = forms.CharField(label=_("Disalurkan oleh"), max_length=120, required=False)


class CancelForm(TokenForm):
    """Cancel an episode nothing was paid for."""


class RateUpdateForm(TokenForm):
    """Correct a rate no episode has used (the category stays)."""

    valid_from = forms.DateField(label=_("Berlaku mulai"), widget=DATE)
    daily_rate = RupiahField(label=_("Biaya per hari per sasaran (Rp)"))
    duration_days = forms.IntegerField(label=_("Lama (hari)"), min_value=1, max_value=365)
    source = forms.CharField(label=_("Sumber"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ActiveForm(TokenForm):
    """Open or close a programme to new episodes."""

    is_active = forms.BooleanField(required=False, widget=forms.HiddenInput)
