"""The company using Terrain, its users, technicians and vans."""

from peewee import BooleanField, CharField, Check, ForeignKeyField, TextField

from app.models.base import SyncedModel, choice_check
from app.models.enums import Role


class Company(SyncedModel):
    """Legal identity printed on slips and quotes."""

    name = CharField()
    legal_form = CharField(default="")
    address_line = CharField(default="")
    postal_code = CharField(default="")
    city = CharField(default="")
    siret = CharField(max_length=14, constraints=[Check("length(siret) = 14")])
    vat_number = CharField(default="")
    phone = CharField(default="")
    email = CharField(default="")
    payment_terms = TextField(default="")


class User(SyncedModel):
    username = CharField(unique=True)
    password_hash = CharField()
    display_name = CharField()
    role = CharField(constraints=[Check(choice_check("role", Role))])
    email = CharField(default="")
    locale = CharField(default="fr")
    active = BooleanField(default=True)


class Technician(SyncedModel):
    user = ForeignKeyField(User, unique=True, backref="technician_profile")
    phone = CharField(default="")
    skills = TextField(default="")

    @classmethod
    def display_names(cls, ids: set[str]) -> dict[str, str]:
        """Technician id -> the display name of their user (the device and head office)."""
        if not ids:
            return {}
        query = (
            cls.select(cls.id, User.display_name)
            .join(User, on=(cls.user == User.id))
            .where(cls.id.in_(sorted(ids)))
        )
        return {t.id: t.user.display_name for t in query}


class Vehicle(SyncedModel):
    """A van; its stock is held per technician (one van each)."""

    registration = CharField(unique=True)
    label = CharField(default="")
    technician = ForeignKeyField(Technician, null=True, backref="vehicles")
