"""Forms of the registry pages: they parse and validate input; saving goes through children.services.

The ModelForms skip the model validation step (`_post_clean`): uniqueness of NIK and KK is the
services' job, whose message points to the record already holding the number.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from children.models import AdolescentTTD, Child, Keluarga, Person, Pregnancy, PregnancyVisit
from children.services import MAX_TABLETS_PER_WEEK
from convergence.choices import field_searchable
from convergence.formfields import localized_decimals
from convergence.models import Posyandu, Region
from convergence.search import desa_label

# Above this many rows a choice list is replaced by a number box (the record number shown on its page).
SELECT_LIMIT = 300

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (a dict), or on the form (a list)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


# The searchable choices of a model (URL name, letters before a search): places and people.
SEARCHES: dict[type[Model], tuple[str, int]] = {
    Posyandu: ("convergence:search-posyandu", 0),
    Region: ("convergence:search-desa", 0),
    Person: ("children:search-person", 2),
    Child: ("children:search-child", 2),
    Keluarga: ("children:search-keluarga", 2),
}


def scoped_choice(field: forms.Field, queryset: QuerySet[Any], *, current: int | None = None) -> None:
    """Limit a choice field to the user's scope; a long list becomes a number box.

    `current`: the value the record holds already, kept as a choice when `queryset` no longer offers it
    (a record in a desa since retired keeps its desa when edited).
    """
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"not a model choice field: {field!r}")
    if current is not None:
        queryset = queryset.model._default_manager.filter(
            Q(pk__in=queryset.values("pk")) | Q(pk=current)
        ).order_by(*queryset.query.order_by)
    if queryset.model is Region:
        # Without JavaScript the options say where each desa is, as the search answers do.
        queryset = queryset.select_related("parent")
        field.label_from_instance = desa_label  # type: ignore[method-assign,assignment]
    field.queryset = queryset
    if queryset.count() > SELECT_LIMIT:
        field.widget = forms.NumberInput(attrs={"min": 1})
        field.help_text = _("Nomor data (lihat halaman datanya).")
    search = SEARCHES.get(queryset.model)
    if search is not None:
        url_name, minimum = search
        field_searchable(field, url_name, minimum=minimum)


class ParseOnlyModelForm(forms.ModelForm):
    def _post_clean(self) -> None:
        # No model validation here: the service validates and saves (NIK/KK uniqueness with a pointer).
        pass


def nik_field(*, editing: bool) -> forms.CharField:
    return forms.CharField(
        label=_("NIK"),
        required=False,
        max_length=30,
        help_text=_("Kosongkan bila tidak diubah.") if editing else _("16 angka; boleh dikosongkan."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class KeluargaForm(ParseOnlyModelForm):
    at_risk_reasons = forms.MultipleChoiceField(
        label=_("Alasan berisiko stunting"),
        choices=Keluarga.AtRiskReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Keluarga
        fields = [
            "head_name",
            "desa",
            "address",
            "rt",
            "rw",
            "water_source",
            "latrine",
            "jkn",
            "receives_pkh",
            "receives_bpnt",
            "at_risk_reasons",
        ]

    def __init__(self, *args: Any, desa: QuerySet, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Stored encrypted like a NIK, so never pre-filled: left blank, the number stays as it is.
        kk = nik_field(editing=editing)
        kk.label = _("Nomor KK")
        self.fields = {"kk_number": kk, **self.fields}
        scoped_choice(self.fields["desa"], desa, current=self.instance.desa_id)


class PersonForm(ParseOnlyModelForm):
    class Meta:
        model = Person
        fields = [
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "desa",
            "keluarga",
            "address",
            "rt",
            "rw",
            "phone",
        ]
        widgets = {"birth_date": DATE}

    def __init__(self, *args: Any, desa: QuerySet, keluarga: QuerySet, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"nik": nik_field(editing=editing), **self.fields}
        scoped_choice(self.fields["desa"], desa, current=self.instance.desa_id)
        scoped_choice(self.fields["keluarga"], keluarga)


class ChildForm(ParseOnlyModelForm):
    class Meta:
        model = Child
        fields = [
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "birth_order",
            "birth_weight_kg",
            "birth_length_cm",
            "birth_head_circumference_cm",
            "gestational_age_weeks",
            "early_breastfeeding",
            "mother",
            "mother_name",
            "father_name",
            "parent_phone",
            "keluarga",
            "address",
            "rt",
            "rw",
            "posyandu",
            "has_birth_certificate",
            "has_jkn",
            "has_kia_book",
            "status",
        ]
        widgets = {"birth_date": DATE}
        formfield_callback = localized_decimals

    def __init__(
        self,
        *args: Any,
        posyandu: QuerySet,
        mothers: QuerySet,
        keluarga: QuerySet,
        editing: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"nik": nik_field(editing=editing), **self.fields}
        scoped_choice(self.fields["posyandu"], posyandu, current=self.instance.posyandu_id)
        scoped_choice(self.fields["mother"], mothers)
        scoped_choice(self.fields["keluarga"], keluarga)
        self.fields["mother_name"].help_text = _("Isi bila ibu belum terdaftar sebagai penduduk.")
        if not editing:
            del self.fields["status"]
            if posyandu.count() == 1:
                self.fields["posyandu"].initial = posyandu.first()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mother = data.get("mother")
        if mother is not None and not data.get("mother_name"):
            data["mother_name"] = mother.name
        return data


class PregnancyForm(ParseOnlyModelForm):
    risk_history = forms.MultipleChoiceField(
        label=_("Riwayat faktor risiko"),
        choices=Pregnancy.RiskFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Pregnancy
        fields = [
            "mother",
            "posyandu",
            "lmp_date",
            "expected_delivery_date",
            "gravida",
            "parity",
            "abortus",
            "last_delivery_date",
            "height_cm",
            "pre_pregnancy_weight_kg",
            "risk_history",
            "outcome",
            "delivery_date",
            "newborn",
            "postnatal_visits",
        ]
        widgets = {
            "lmp_date": DATE,
            "expected_delivery_date": DATE,
            "last_delivery_date": DATE,
            "delivery_date": DATE,
        }
        formfield_callback = localized_decimals

    def __init__(
        self, *args: Any, mothers: QuerySet, posyandu: QuerySet, newborns: QuerySet, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        scoped_choice(self.fields["mother"], mothers)
        scoped_choice(self.fields["posyandu"], posyandu, current=self.instance.posyandu_id)
        scoped_choice(self.fields["newborn"], newborns)
        self.fields["expected_delivery_date"].help_text = _("Kosongkan: dihitung dari HPHT + 280 hari.")


class PregnancyVisitForm(ParseOnlyModelForm):
    class Meta:
        model = PregnancyVisit
        fields = [
            "visit_date",
            "is_anc",
            "weight_kg",
            "lila_cm",
            "hb_g_dl",
            "systolic_mmhg",
            "diastolic_mmhg",
            "ttd_tablets",
            "place",
            "notes",
        ]
        widgets = {"visit_date": DATE, "notes": forms.Textarea(attrs={"rows": 2})}
        formfield_callback = localized_decimals


class AdolescentForm(forms.Form):
    """Register a girl: an existing person, or a new one from the name/birth date/desa fields."""

    person = forms.ModelChoiceField(
        label=_("Penduduk terdaftar"), queryset=Person.objects.none(), required=False
    )
    name = forms.CharField(label=_("Nama"), max_length=120, required=False)
    nik = nik_field(editing=False)
    birth_date = forms.DateField(label=_("Tanggal lahir"), required=False, widget=DATE)
    desa = forms.ModelChoiceField(label=_("Desa/kelurahan"), queryset=Person.objects.none(), required=False)
    address = forms.CharField(label=_("Alamat"), max_length=255, required=False)
    school_name = forms.CharField(label=_("Sekolah"), max_length=120, required=False)
    school_class = forms.CharField(label=_("Kelas"), max_length=20, required=False)

    def __init__(self, *args: Any, persons: QuerySet, desa: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scoped_choice(self.fields["person"], persons)
        scoped_choice(self.fields["desa"], desa)
        self.fields["person"].help_text = _(
            "Pilih bila sudah terdaftar; bila belum, isi nama dan data di bawah."
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("person") is None:
            for name in ("name", "birth_date", "desa"):
                if not data.get(name):
                    self.add_error(name, _("Wajib diisi untuk penduduk baru."))
        return data


class AdolescentTTDForm(ParseOnlyModelForm):
    class Meta:
        model = AdolescentTTD
        fields = ["week_start", "tablets", "given_at"]
        widgets = {"week_start": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tablets = self.fields["tablets"]
        if not isinstance(tablets, forms.IntegerField):
            raise TypeError("tablets is a number field")
        tablets.max_value = MAX_TABLETS_PER_WEEK
        self.fields["tablets"].help_text = _("1 tablet seminggu; 0 menghapus catatan minggu itu.")


class NIKSearchForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK atau nomor KK"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
