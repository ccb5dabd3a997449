"""Forms of the reports pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from convergence.formfields import LocalizedDecimalField

# A kabupaten's desa boundaries at ~1 m precision stay well under this; a larger file is usually a
# province-wide or unsimplified export.
MAX_MAP_BYTES = 10 * 1024 * 1024


class RegionMapForm(forms.Form):
    berkas = forms.FileField(
        label=_("Berkas GeoJSON batas desa"),
        help_text=_("FeatureCollection berisi poligon desa/kelurahan, koordinat bujur/lintang (WGS 84)."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".geojson,.json,application/geo+json,application/json"}
        ),
    )
    properti_kode = forms.CharField(
        label=_("Properti kode wilayah"),
        max_length=40,
        required=False,
        help_text=_(
            "Nama properti yang berisi kode Kemendagri desa, mis. kode, KDEPUM atau code. "
            "Kosongkan untuk mencari otomatis."
        ),
    )

    def clean_berkas(self) -> Any:
        upload = self.cleaned_data["berkas"]
        if upload.size > MAX_MAP_BYTES:
            raise forms.ValidationError(
                _("Berkas terlalu besar (maksimal %(mb)s MB); sederhanakan geometrinya dahulu."),
                params={"mb": MAX_MAP_BYTES // (1024 * 1024)},
            )
        return upload


class TargetForm(forms.Form):
    """One year of a province's target path (reports.province_targets checks the values)."""

    year = forms.IntegerField(label=_("Tahun"))
    stunting_pct = LocalizedDecimalField(label=_("Target stunting (%)"))
    source = forms.CharField(label=_("Sumber"), max_length=200, required=False)
