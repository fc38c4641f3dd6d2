"""Factories for users with roles, agencies, memberships and reports."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.utils import timezone

from accounts.models import Profile
from reports.models import Agency, AgencyKind, Category, Membership, Report, Status
from reports.services import tracking_code_new


class UserFactory(factory.django.DjangoModelFactory):
    """A user in the given role groups (`roles=["citizen"]` by default) with a phone profile."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"nguoidung{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    first_name = "Lan"
    last_name = "Nguyễn Thị"
    password = factory.django.Password("mat-khau-du-dai-2025")

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        if not create:
            return
        for role in extracted if extracted is not None else ["citizen"]:
            obj.groups.add(Group.objects.get(name=role))

    @factory.post_generation
    def phone(obj, create, extracted, **kwargs):
        if create:
            Profile.objects.create(user=obj, phone=extracted or "0912345678")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test-category-{n}")
    name = factory.Sequence(lambda n: f"Loại phản ánh {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    group = "sanitation"
    kind = "on_site"
    deadline_days = 3


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"UBND Phường {n}")
    name_en = factory.Sequence(lambda n: f"Ward {n} People's Committee")
    kind = AgencyKind.WARD

    @factory.post_generation
    def jurisdiction(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.areas.add(*extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    agency = factory.SubFactory(AgencyFactory)
    user = factory.SubFactory(UserFactory, roles=["official"])
    role = "official"


class ReportFactory(factory.django.DjangoModelFactory):
    """A stored report (bypassing routing); pass area/agency for realistic ones."""

    class Meta:
        model = Report

    tracking_code = factory.LazyFunction(tracking_code_new)
    category = factory.LazyFunction(lambda: Category.objects.get(code="rac-thai-sai-quy-dinh"))
    description = "Rác thải đổ bừa bãi ở đầu ngõ."
    location = factory.LazyFunction(lambda: Point(105.805, 21.005, srid=4326))
    reporter = factory.SubFactory(UserFactory)
    status = Status.RECEIVED
    created_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.created_at + dt.timedelta(days=3))
