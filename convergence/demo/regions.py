"""The backbone's demo steps: regions, puskesmas and posyandu; the OPD catalogue; desa lokus."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from convergence.codes import Level
from convergence.demo import (
    CAPITAL_NAME,
    PROVINSI_CODE,
    PROVINSI_NAME,
    DemoDistrict,
    DemoScale,
    demo_step,
    step_rng,
)
from convergence.models import OPD, DesaLokus, Posyandu, Puskesmas, Region

# --- Names -------------------------------------------------------------------------------------------

_PREFIXES = (
    "SUKA",
    "KARANG",
    "SUMBER",
    "TEGAL",
    "WONO",
    "SIDO",
    "REJO",
    "MOJO",
    "JATI",
    "KEDUNG",
    "NGADI",
    "PURWO",
    "GUNUNG",
    "TANJUNG",
    "KALI",
    "BANYU",
    "SRI",
    "TAMAN",
)
_SUFFIXES = (
    "MAKMUR",
    "REJO",
    "SARI",
    "JAYA",
    "MULYO",
    "AGUNG",
    "HARJO",
    "ASRI",
    "WANGI",
    "URIP",
    "KERTO",
    "DADI",
    "LUHUR",
    "ARUM",
    "KARYA",
    "LESTARI",
    "MUKTI",
    "ANOM",
)
_FLOWERS = (
    "Mawar",
    "Melati",
    "Anggrek",
    "Kenanga",
    "Dahlia",
    "Flamboyan",
    "Cempaka",
    "Teratai",
    "Seruni",
    "Bougenville",
    "Kamboja",
    "Asoka",
    "Nusa Indah",
    "Kemuning",
    "Sedap Malam",
)


def _place_names(rng: random.Random) -> Iterator[str]:
    """Unique place names such as SUKAMAKMUR, KARANGREJO, SUMBERSARI (324 combinations)."""
    names = [
        prefix + suffix
        for prefix in _PREFIXES
        for suffix in _SUFFIXES
        if prefix != suffix and prefix + suffix != CAPITAL_NAME
    ]
    rng.shuffle(names)
    return iter(names)


def _allocate(total: int, weights: Sequence[float], minimums: Sequence[int]) -> list[int]:
    """Split `total` into integers proportional to `weights`, each at least its minimum (largest remainder)."""
    rest = total - sum(minimums)
    if rest < 0:
        raise ValueError("total too small for the minimums")
    weight_sum = sum(weights)
    quotas = [rest * weight / weight_sum for weight in weights]
    shares = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: rest - sum(shares)]:
        shares[i] += 1
    return [minimum + share for minimum, share in zip(minimums, shares, strict=True)]


# --- Regions, puskesmas, posyandu ----------------------------------------------------------------------


@demo_step(10, "wilayah")
def seed_regions(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Kabupaten, kecamatan, desa/kelurahan, puskesmas (with their desa) and posyandu with sasaran balita."""
    rng = step_rng(rng_seed, "wilayah")
    names = _place_names(rng)
    if district.number > 1:
        # The shuffle above still consumes the same draws, so the shape stays that of the first
        # kabupaten; the names come from this kabupaten's own seed.
        names = _place_names(step_rng(district.name_seed, "wilayah"))
    provinsi, _created = Region.objects.get_or_create(
        code=PROVINSI_CODE, defaults={"name": PROVINSI_NAME, "level": Level.PROVINSI.value}
    )
    kabupaten = Region.objects.create(
        code=district.kabupaten_code,
        name=district.kabupaten_name,
        level=Level.KABUPATEN.value,
        parent=provinsi,
    )
    kecamatan = Region.objects.bulk_create(
        Region(
            code=f"{district.kabupaten_code}.{number:02d}",
            name=district.kabupaten_name if number == 1 else next(names),
            level=Level.KECAMATAN.value,
            parent=kabupaten,
        )
        for number in range(1, scale.kecamatan_count + 1)
    )
    desa_counts, desa_by_kecamatan, size = _plan_desa(rng, names, scale, kecamatan, district)
    puskesmas = _seed_puskesmas(kecamatan, desa_counts, desa_by_kecamatan)
    desa = Region.objects.bulk_create(region for rows in desa_by_kecamatan for region in rows)
    posyandu = _seed_posyandu(rng, scale, desa, size)

    district.provinsi, district.kabupaten = provinsi, kabupaten
    district.kecamatan, district.desa = kecamatan, desa
    district.puskesmas, district.posyandu = puskesmas, posyandu
    district.count(_("Kecamatan"), len(kecamatan))
    district.count(_("Desa"), sum(1 for region in desa if region.level == Level.DESA))
    district.count(_("Kelurahan"), sum(1 for region in desa if region.level == Level.KELURAHAN))
    district.count(_("Puskesmas"), len(puskesmas))
    district.count(_("Posyandu"), len(posyandu))
    district.count(_("Sasaran balita (0-59 bulan)"), sum(unit.target_balita for unit in posyandu))


def _plan_desa(
    rng: random.Random,
    names: Iterator[str],
    scale: DemoScale,
    kecamatan: list[Region],
    district: DemoDistrict,
) -> tuple[list[int], list[list[Region]], dict[str, float]]:
    """Desa and kelurahan of each kecamatan (not saved yet), their relative size and stunting burden."""
    # Kecamatan hold 5 to about 25 desa; the capital also holds every kelurahan.
    desa_counts = _allocate(
        scale.desa_total,
        [rng.lognormvariate(0.0, 0.45) for _ in kecamatan],
        [scale.kelurahan_count + 3, *[5] * (len(kecamatan) - 1)],
    )
    desa_by_kecamatan: list[list[Region]] = []
    size: dict[str, float] = {}
    for position, (kec, count) in enumerate(zip(kecamatan, desa_counts, strict=True)):
        kelurahan = scale.kelurahan_count if position == 0 else 0
        rows = []
        for index in range(count):
            is_kelurahan = index < kelurahan
            number = 1001 + index if is_kelurahan else 2001 + index - kelurahan
            region = Region(
                code=f"{kec.code}.{number}",
                name=next(names),
                level=(Level.KELURAHAN if is_kelurahan else Level.DESA).value,
                parent=kec,
            )
            # Kelurahan are the dense town centre: more children, a little less stunting.
            size[region.code] = rng.lognormvariate(0.0, 0.4) * (1.8 if is_kelurahan else 1.0)
            district.desa_burden[region.code] = round(
                rng.lognormvariate(0.0, 0.3) * (0.8 if is_kelurahan else 1.0), 3
            )
            rows.append(region)
        desa_by_kecamatan.append(rows)
    return desa_counts, desa_by_kecamatan, size


def _seed_puskesmas(
    kecamatan: list[Region], desa_counts: list[int], desa_by_kecamatan: list[list[Region]]
) -> list[Puskesmas]:
    """The puskesmas, saved, each set on the (unsaved) desa it covers."""
    # One puskesmas per kecamatan, two in the three with most desa (each covers half of them).
    largest = sorted(range(len(kecamatan)), key=lambda i: (-desa_counts[i], i))[:3]
    puskesmas: list[Puskesmas] = []
    coverage: list[tuple[Puskesmas, list[Region]]] = []
    for position, (kec, rows) in enumerate(zip(kecamatan, desa_by_kecamatan, strict=True)):
        halves = [rows[: len(rows) // 2], rows[len(rows) // 2 :]] if position in largest else [rows]
        for serial, covered in enumerate(halves, start=1):
            name = kec.name if serial == 1 else covered[0].name
            unit = Puskesmas(
                kecamatan=kec, code=f"P{kec.code.replace('.', '')}{serial:02d}", name=name.title()
            )
            puskesmas.append(unit)
            coverage.append((unit, covered))
    Puskesmas.objects.bulk_create(puskesmas)
    for unit, covered in coverage:
        for region in covered:
            region.puskesmas = unit
    return puskesmas


def _seed_posyandu(
    rng: random.Random, scale: DemoScale, desa: list[Region], size: dict[str, float]
) -> list[Posyandu]:
    """The posyandu of every desa, saved, with their sasaran balita."""
    # Bigger desa run more posyandu; each posyandu's sasaran balita follows the desa's size.
    low, high = scale.posyandu_per_desa
    rank = {code: i for i, code in enumerate(sorted(size, key=lambda code: (size[code], code)))}
    posyandu: list[Posyandu] = []
    weights: list[float] = []
    for region in desa:
        share = rank[region.code] / max(len(desa) - 1, 1)
        count = min(high, max(low, low + round(share * (high - low)) + rng.choice((-1, 0, 0, 1))))
        flowers = rng.sample(_FLOWERS, count)
        rw = sorted(rng.sample(range(1, max(count + 3, 8) + 1), count))
        for index in range(count):
            posyandu.append(
                Posyandu(desa=region, code=f"P{index + 1:02d}", name=flowers[index], rw=f"{rw[index]:02d}")
            )
            weights.append(size[region.code] / count * rng.uniform(0.7, 1.3))
    for post, target in zip(
        posyandu, _allocate(scale.children_total, weights, [1] * len(weights)), strict=True
    ):
        post.target_balita = target
    Posyandu.objects.bulk_create(posyandu, batch_size=1000)
    return posyandu


# --- OPD ---------------------------------------------------------------------------------------------

# (code, name, short name, tupoksi in the convergence); the usual kabupaten mapping of responsibilities.
_OPD_CATALOGUE = (
    (
        "BAPPEDA",
        "Badan Perencanaan Pembangunan Daerah",
        "Bappeda",
        "Koordinator dan sekretariat konvergensi: perencanaan, penganggaran, dan pengelolaan data stunting.",
    ),
    (
        "DINKES",
        "Dinas Kesehatan",
        "Dinkes",
        "Intervensi spesifik: e-PPGBM, PMT, tablet tambah darah, imunisasi, STBM.",
    ),
    ("DINSOS", "Dinas Sosial", "Dinsos", "Perlindungan sosial: PKH, BPNT, PBI JKN."),
    ("DISDIK", "Dinas Pendidikan", "Disdik", "Layanan PAUD dan kelas pengasuhan."),
    (
        "DP3AP2KB",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana",
        "DP3AP2KB",
        "KB, Tim Pendamping Keluarga, pendampingan keluarga berisiko stunting, perlindungan perempuan dan anak.",
    ),
    (
        "PERTANIAN",
        "Dinas Pertanian",
        "Pertanian",
        "Akses pangan dan pemanfaatan pekarangan (KRPL) keluarga berisiko stunting.",
    ),
    ("DLH", "Dinas Lingkungan Hidup", "DLH", "Sanitasi lingkungan dan pengelolaan sampah rumah tangga."),
    (
        "PUPR",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "PUPR",
        "Air minum layak dan sanitasi layak (jamban, SPAL).",
    ),
    (
        "DPMD",
        "Dinas Pemberdayaan Masyarakat dan Desa",
        "PMD",
        "Pemerintahan desa, pembinaan KPM, penggunaan Dana Desa untuk konvergensi.",
    ),
    (
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "Disdukcapil",
        "NIK dan akta kelahiran anak.",
    ),
    (
        "PERIKANAN",
        "Dinas Perikanan",
        "Perikanan",
        "Promosi gemar makan ikan bagi keluarga berisiko stunting.",
    ),
    (
        "DKP",
        "Dinas Ketahanan Pangan",
        "Ketahanan Pangan",
        "Ketersediaan, akses, dan keanekaragaman pangan keluarga.",
    ),
    (
        "DISKOMINFO",
        "Dinas Komunikasi dan Informatika",
        "Diskominfo",
        "Publikasi dan kampanye perubahan perilaku tentang stunting.",
    ),
    # A vertical office of the ministry, not an OPD, yet a member of every TPPS through its KUA.
    (
        "KEMENAG",
        "Kantor Kementerian Agama",
        "Kemenag",
        "Bimbingan perkawinan dan pendampingan calon pengantin melalui KUA.",
    ),
)


@demo_step(20, "opd")
def seed_opd(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """The kabupaten's OPD catalogue, Bappeda as the leading sector."""
    rows = OPD.objects.bulk_create(
        OPD(
            kabupaten=district.kabupaten,
            code=code,
            name=name,
            short_name=short_name,
            is_leading_sector=code == "BAPPEDA",
            tupoksi=tupoksi,
        )
        for code, name, short_name, tupoksi in _OPD_CATALOGUE
    )
    district.opd = {row.code: row for row in rows}
    district.count(_("OPD"), len(rows))


# --- Desa lokus --------------------------------------------------------------------------------------


@demo_step(30, "lokus")
def seed_lokus(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Desa lokus of this year and the previous one, drawn from the high-burden desa, one decree a year."""
    rng = step_rng(rng_seed, "lokus")
    by_burden = sorted(district.desa, key=lambda region: (-district.desa_burden[region.code], region.code))
    rows: list[DesaLokus] = []
    for year in (district.today.year - 1, district.today.year):
        count = round(len(by_burden) * rng.uniform(*scale.lokus_share))
        # The situation analysis ranks desa by burden, but the decree also weighs other criteria.
        chosen = sorted(rng.sample(by_burden[: 2 * count], count), key=lambda region: region.code)
        decree = f"188/{rng.randint(100, 499)}/KEP/429.011/{year}"
        rows.extend(DesaLokus(desa=region, year=year, decree_number=decree) for region in chosen)
        district.lokus[year] = chosen
        district.count(_("Desa lokus %(year)d") % {"year": year}, count)
    DesaLokus.objects.bulk_create(rows)
