"""The district's own desa boundaries, uploaded as GeoJSON, for the dashboard map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.models import NOTHING, Region

if TYPE_CHECKING:
    from convergence.scoping import Scope


class RegionMap(models.Model):
    """Desa polygons of one kabupaten; each feature's `code` property holds its desa's dotted code.

    Stored as uploaded (geometry untouched), with the features that match no desa left out and the
    code property rewritten to the dotted Kemendagri form, so the page never parses codes again.
    """

    kabupaten = models.OneToOneField(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.CASCADE, related_name="region_map"
    )
    geojson = models.JSONField(_("batas desa (GeoJSON)"))
    code_property = models.CharField(_("properti kode wilayah"), max_length=40)
    feature_count = models.PositiveIntegerField(_("jumlah fitur"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diunggah oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("diunggah"), auto_now=True)

    class Meta:
        verbose_name = _("peta desa")
        verbose_name_plural = _("peta desa")

    def __str__(self) -> str:
        return f"{self.kabupaten}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        if scope.is_superuser:
            return Q()
        if scope.is_empty or not scope.kabupaten_prefix:
            return NOTHING  # the aggregate roles draw no kabupaten's own map
        return Q(kabupaten__code=scope.kabupaten_prefix)
