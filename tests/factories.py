"""Plain factory_boy factories and a small district with one user per role ("personas")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import factory

from children import pii
from children.models import Child, Keluarga, Person
from convergence.models import OPD, Posyandu, Puskesmas, Region, Role, User

PASSWORD = "kata-sandi-uji-123"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Wilayah {n}")


class PuskesmasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Puskesmas

    code = factory.Sequence(lambda n: f"PKM{n:03d}")
    name = factory.Sequence(lambda n: f"Puskesmas {n}")


class PosyanduFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posyandu

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Posyandu {n}")
    target_balita = 40


class OPDFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OPD

    code = factory.Sequence(lambda n: f"OPD{n:02d}")
    name = factory.Sequence(lambda n: f"Dinas {n}")
    short_name = factory.Sequence(lambda n: f"D{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pengguna{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class KeluargaFactory(factory.django.DjangoModelFactory):
    """A family; pass desa= (and kk_number= for a KK number, stored encrypted as the service does)."""

    class Meta:
        model = Keluarga

    class Params:
        kk_number = ""

    head_name = factory.Sequence(lambda n: f"Kepala Keluarga {n}")
    kk_encrypted = factory.LazyAttribute(lambda o: pii.encrypt(o.kk_number))
    kk_hash = factory.LazyAttribute(lambda o: pii.nik_hash(o.kk_number))


class PersonFactory(factory.django.DjangoModelFactory):
    """A woman of the registry without NIK; pass desa= (NIKs go through children.services.person_save)."""

    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Ibu {n}")
    sex = "P"
    birth_date = datetime.date(1995, 5, 17)


class ChildFactory(factory.django.DjangoModelFactory):
    """A child without NIK; pass posyandu= (desa follows it)."""

    class Meta:
        model = Child

    name = factory.Sequence(lambda n: f"Anak {n}")
    sex = "L"
    birth_date = datetime.date(2024, 3, 10)
    desa = factory.LazyAttribute(lambda o: o.posyandu.desa)


@dataclass
class DistrictFixture:
    provinsi: Region
    kabupaten: Region
    kecamatan_a: Region
    kecamatan_b: Region
    desa_a1: Region
    desa_a2: Region
    desa_b1: Region
    puskesmas_a: Puskesmas
    puskesmas_b: Puskesmas
    posyandu_a1: Posyandu
    posyandu_a1_second: Posyandu
    posyandu_a2: Posyandu
    posyandu_b1: Posyandu
    dinkes: OPD
    pupr: OPD
    other_kabupaten: Region
    other_desa: Region
    other_posyandu: Posyandu
    users: dict[str, User]


def build_district() -> DistrictFixture:
    """Kabupaten 35.10 with kecamatan A (2 desa) and B (1 desa), and kabupaten 35.11 beside it."""
    provinsi = RegionFactory(code="35", name="JAWA TIMUR", level="provinsi")
    kabupaten = RegionFactory(code="35.10", name="BANYUWANGI", level="kabupaten", parent=provinsi)
    kecamatan_a = RegionFactory(code="35.10.01", name="PESANGGARAN", level="kecamatan", parent=kabupaten)
    kecamatan_b = RegionFactory(code="35.10.02", name="BANGOREJO", level="kecamatan", parent=kabupaten)
    puskesmas_a = PuskesmasFactory(kecamatan=kecamatan_a, code="PKM01", name="Pesanggaran")
    puskesmas_b = PuskesmasFactory(kecamatan=kecamatan_b, code="PKM02", name="Bangorejo")
    desa_a1 = RegionFactory(
        code="35.10.01.2001", name="SUMBERAGUNG", level="desa", parent=kecamatan_a, puskesmas=puskesmas_a
    )
    desa_a2 = RegionFactory(
        code="35.10.01.2002", name="SILIRAGUNG", level="desa", parent=kecamatan_a, puskesmas=puskesmas_a
    )
    desa_b1 = RegionFactory(
        code="35.10.02.2001", name="SAMBIMULYO", level="desa", parent=kecamatan_b, puskesmas=puskesmas_b
    )
    other_kabupaten = RegionFactory(code="35.11", name="BONDOWOSO", level="kabupaten", parent=provinsi)
    other_kecamatan = RegionFactory(code="35.11.01", name="MAESAN", level="kecamatan", parent=other_kabupaten)
    other_desa = RegionFactory(code="35.11.01.2001", name="GAMBANGAN", level="desa", parent=other_kecamatan)
    posyandu_a1 = PosyanduFactory(desa=desa_a1, code="P01", name="Mawar")
    posyandu_a1_second = PosyanduFactory(desa=desa_a1, code="P02", name="Melati")
    posyandu_a2 = PosyanduFactory(desa=desa_a2, code="P01", name="Anggrek")
    posyandu_b1 = PosyanduFactory(desa=desa_b1, code="P01", name="Kenanga")
    other_posyandu = PosyanduFactory(desa=other_desa, code="P01", name="Dahlia")
    dinkes = OPDFactory(kabupaten=kabupaten, code="DINKES", name="Dinas Kesehatan", short_name="Dinkes")
    pupr = OPDFactory(kabupaten=kabupaten, code="PUPR", name="Dinas PUPR", short_name="PUPR")
    users = {
        "bappeda_admin": UserFactory(
            username="bappeda", role=Role.BAPPEDA_ADMIN, kabupaten=kabupaten, is_staff=True
        ),
        "pimpinan": UserFactory(username="bupati", role=Role.PIMPINAN, kabupaten=kabupaten),
        "opd_officer": UserFactory(username="dinkes", role=Role.OPD_OFFICER, opd=dinkes),
        "puskesmas_officer": UserFactory(
            username="pkm_pesanggaran", role=Role.PUSKESMAS_OFFICER, puskesmas=puskesmas_a
        ),
        "kader": UserFactory(username="kader_mawar", role=Role.KADER, posyandu=posyandu_a1),
        "kpm": UserFactory(username="kpm_siliragung", role=Role.KPM, desa=desa_a2),
        "bappeda_provinsi": UserFactory(
            username="bappeda_prov", role=Role.BAPPEDA_PROVINSI, provinsi=provinsi
        ),
        "nasional": UserFactory(username="pemantau_nasional", role=Role.NASIONAL),
        "no_role": UserFactory(username="tanpa_peran"),
    }
    return DistrictFixture(
        provinsi,
        kabupaten,
        kecamatan_a,
        kecamatan_b,
        desa_a1,
        desa_a2,
        desa_b1,
        puskesmas_a,
        puskesmas_b,
        posyandu_a1,
        posyandu_a1_second,
        posyandu_a2,
        posyandu_b1,
        dinkes,
        pupr,
        other_kabupaten,
        other_desa,
        other_posyandu,
        users,
    )
