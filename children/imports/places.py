"""Places an imported file names and the district lacks (`import_eppgbm --create-posyandu`).

A kabupaten loaded from the Kemendagri list has its kecamatan and desa but no puskesmas or posyandu,
and no public list of them exists: the e-PPGBM export itself names them (Pukesmas, Kec, Desa/Kel,
Posyandu). Desa and kecamatan are matched by name (convergence.names.place_name_key) within the
importer's kabupaten, never created; a posyandu missing under a matched desa and a puskesmas missing in
the district are planned (dry run: temporary negative ids) or created (apply, in the import's
transaction) with generated local codes. Everything is loaded once per import: a few queries, then
dicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from convergence import services as convergence_services
from convergence.codes import DESA_LEVELS
from convergence.models import Posyandu, Puskesmas, Region
from convergence.names import place_display_name, place_name_key

# (kec, desa, posyandu, desa code, puskesmas, kab) as written in a row, stripped.
PlaceCells = tuple[str, str, str, str, str, str]
# ((posyandu id, desa id) or None, message, the column the message is about)
PlaceFound = tuple[tuple[int, int] | None, str, str]


@dataclass
class NewPlace:
    """A puskesmas or posyandu to create (dry run) or created (apply), and the rows naming it."""

    level: str  # "puskesmas" or "posyandu"
    name: str
    parent: str  # the kecamatan's or the desa's name, as stored
    parent_code: str
    pk: int  # negative in a dry run
    code: str = ""  # the generated code, once created
    rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name": self.name,
            "code": self.code,
            "parent": self.parent,
            "parent_code": self.parent_code,
            "rows": self.rows,
        }


@dataclass
class _Desa:
    pk: int
    code: str
    name: str
    kec_id: int
    kec_key: str
    kec_name: str
    kec_code: str
    kab_key: str
    puskesmas_id: int | None


def _kab_keys(text: str) -> set[str]:
    # "Kota Malang" is often written "MALANG": "Kota" is not a prefix place_name_key removes.
    key = place_name_key(text)
    return {key, key.removeprefix("kota")}


class PlaceMaker:
    """Finds the desa of a row's place names and plans or creates its missing posyandu and puskesmas."""

    def __init__(self, *, kabupaten_prefix: str | None, commit: bool) -> None:
        self.commit = commit
        self.limited = bool(kabupaten_prefix)
        desa = Region.objects.filter(level__in=[level.value for level in DESA_LEVELS])
        puskesmas = Puskesmas.objects.all()
        posyandu = Posyandu.objects.all()
        if kabupaten_prefix:
            desa = desa.filter(code__startswith=f"{kabupaten_prefix}.")
            puskesmas = puskesmas.filter(kecamatan__code__startswith=f"{kabupaten_prefix}.")
            posyandu = posyandu.filter(desa__code__startswith=f"{kabupaten_prefix}.")
        self.desa_by_key: dict[str, list[_Desa]] = {}
        self.desa_by_code: dict[str, _Desa] = {}
        self.desa_by_id: dict[int, _Desa] = {}
        for row in desa.values_list(
            "id",
            "code",
            "name",
            "parent_id",
            "parent__name",
            "parent__code",
            "parent__parent__name",
            "puskesmas_id",
        ):
            pk, code, name, kec_id, kec_name, kec_code, kab_name, puskesmas_id = row
            found = _Desa(
                pk,
                code,
                name,
                kec_id,
                place_name_key(kec_name),
                kec_name,
                kec_code,
                place_name_key(kab_name),
                puskesmas_id,
            )
            self.desa_by_key.setdefault(place_name_key(name), []).append(found)
            self.desa_by_code[code.replace(".", "")] = found
            self.desa_by_id[pk] = found
        self.puskesmas_in_kec: dict[tuple[int, str], int] = {}
        self.puskesmas_by_key: dict[str, list[int]] = {}
        for pk, name, kec_id in puskesmas.values_list("id", "name", "kecamatan_id"):
            self.puskesmas_in_kec.setdefault((kec_id, place_name_key(name)), pk)
            self.puskesmas_by_key.setdefault(place_name_key(name), []).append(pk)
        self.posyandu_in_desa: dict[tuple[int, str], tuple[int, bool]] = {}
        for pk, name, desa_id, active in posyandu.values_list("id", "name", "desa_id", "is_active"):
            known = self.posyandu_in_desa.get((desa_id, place_name_key(name)))
            if known is None or (active and not known[1]):
                self.posyandu_in_desa[(desa_id, place_name_key(name))] = (pk, active)
        self.new: dict[tuple[str, int, str], NewPlace] = {}
        self.next_temp_id = -1
        # The new places each distinct spelling of a row's places names: rows are counted per spelling.
        self.bumps: dict[PlaceCells, tuple[NewPlace, ...]] = {}

    # Rows ---------------------------------------------------------------------------------------------

    def count_rows(self, cells: Iterable[tuple[Any, ...]], clean: Callable[[Any], str]) -> None:
        """Add a batch's rows (their place cells, `clean` stripping each) to the new places they name."""
        for raw, count in Counter(cells).items():
            for place in self.bumps.get(tuple(map(clean, raw)), ()):  # type: ignore[arg-type]
                place.rows += count

    def listing(self) -> list[dict[str, Any]]:
        """The new places, puskesmas first, each under its parent code, with their row counts."""
        places = sorted(self.new.values(), key=lambda p: (p.level != "puskesmas", p.parent_code, p.name))
        return [place.as_dict() for place in places]

    # Resolution ---------------------------------------------------------------------------------------

    def existing(self, cells: PlaceCells, desa_id: int) -> None:
        """A row whose posyandu the import found: plan its puskesmas when the district lacks it."""
        desa = self.desa_by_id.get(desa_id)
        place = self._puskesmas(desa, cells[4]) if desa is not None else None
        self.bumps[cells] = (place,) if place is not None else ()

    def missing(self, cells: PlaceCells) -> PlaceFound:
        """A row whose posyandu the import did not find: a posyandu planned under the row's desa (and
        its puskesmas), or why not. Called once per distinct spelling of the row's places.
        """
        kec, desa_text, name, desa_code, puskesmas, kab = cells
        desa, problem = self._desa(kab, kec, desa_text, desa_code)
        if desa is None:
            return None, problem, "desa"
        name_key = place_name_key(name)
        known = self.posyandu_in_desa.get((desa.pk, name_key))
        if known is not None and not known[1]:
            return None, _('Posyandu "%(name)s" di desa ini tidak aktif') % {"name": name}, "posyandu"
        place: NewPlace | None = None
        if known is not None:
            pk = known[0]  # in the desa under a spelling the import's lookup missed
        else:
            place = self.new.get(("posyandu", desa.pk, name_key))
            if place is None:
                place = self.new[("posyandu", desa.pk, name_key)] = self._posyandu_new(desa, name)
            pk = place.pk
        new_puskesmas = self._puskesmas(desa, puskesmas)
        self.bumps[cells] = tuple(p for p in (place, new_puskesmas) if p is not None)
        return (pk, desa.pk), "", ""

    def _desa(self, kab: str, kec: str, desa: str, desa_code: str) -> tuple[_Desa | None, str]:
        if desa_code:
            found = self.desa_by_code.get(desa_code.replace(".", "").strip())
            if found is None:
                return None, _('Kode Desa "%(code)s" tidak ditemukan di kabupaten Anda') % {"code": desa_code}
            return found, ""
        candidates = self.desa_by_key.get(place_name_key(desa), [])
        if kec:
            kec_key = place_name_key(kec)
            candidates = [c for c in candidates if c.kec_key == kec_key]
        if kab and not self.limited and len(candidates) > 1:
            keys = _kab_keys(kab)
            candidates = [c for c in candidates if keys & {c.kab_key, c.kab_key.removeprefix("kota")}]
        if len(candidates) == 1:
            return candidates[0], ""
        if candidates:
            return None, _('Desa/Kel "%(desa)s" ada di beberapa kecamatan: isi kolom Kec') % {"desa": desa}
        if kec:
            message = _('Desa/Kel "%(desa)s" di Kec "%(kec)s" tidak ditemukan di kabupaten Anda')
            return None, message % {"desa": desa, "kec": kec}
        return None, _('Desa/Kel "%(desa)s" tidak ditemukan di kabupaten Anda') % {"desa": desa}

    def _temp_id(self) -> int:
        pk, self.next_temp_id = self.next_temp_id, self.next_temp_id - 1
        return pk

    def _posyandu_new(self, desa: _Desa, name: str) -> NewPlace:
        display = place_display_name(name)
        place = NewPlace("posyandu", display, desa.name, desa.code, pk=0)
        if self.commit:
            created = convergence_services.posyandu_create_named(desa_id=desa.pk, name=display)
            place.pk, place.code = created.pk, created.code
        else:
            place.pk = self._temp_id()
        return place

    def _puskesmas(self, desa: _Desa, name: str) -> NewPlace | None:
        """The new puskesmas `name` names (None when it exists or is blank); links an uncovered desa."""
        if not name:
            return None
        key = place_name_key(name)
        pk = self.puskesmas_in_kec.get((desa.kec_id, key))
        if pk is None and len(self.puskesmas_by_key.get(key, ())) == 1:
            pk = self.puskesmas_by_key[key][0]  # serving across a kecamatan boundary
        place = None
        if pk is None:
            place = self.new.get(("puskesmas", desa.kec_id, key))
            if place is None:
                place = self._puskesmas_new(desa, name)
                self.new[("puskesmas", desa.kec_id, key)] = place
            pk = place.pk
        if desa.puskesmas_id is None:
            # The file says which puskesmas serves the desa: its working area (Region.puskesmas).
            if self.commit:
                convergence_services.desa_puskesmas_link(desa_id=desa.pk, puskesmas_id=pk)
            desa.puskesmas_id = pk
        return place

    def _puskesmas_new(self, desa: _Desa, name: str) -> NewPlace:
        display = place_display_name(name)
        place = NewPlace("puskesmas", display, desa.kec_name, desa.kec_code, pk=0)
        if self.commit:
            created = convergence_services.puskesmas_create_named(kecamatan_id=desa.kec_id, name=display)
            place.pk, place.code = created.pk, created.code
        else:
            place.pk = self._temp_id()
        return place
