"""What head office tells: technicians get other people's names and roles only, and no
database message ever reaches a client (it is logged)."""

from __future__ import annotations

import uuid

from app.models import Technician, User


def test_a_technician_gets_names_and_roles_of_others_and_his_own_rows_whole(demo_server):
    client = demo_server.login("tech1")
    rows = client.pull_all()
    me = User.get(User.username == "tech1")
    for user in rows["users"].values():
        stored = User.get_by_id(user["id"])
        assert (user["display_name"], user["role"]) == (stored.display_name, stored.role)
        if user["id"] == me.id:
            assert (user["username"], user["email"]) == ("tech1", me.email)
        else:
            assert user["username"] == user["id"] and user["email"] == ""
            assert user["locale"] == ""
    mine = Technician.get(Technician.user == me.id)
    others = [t for t in rows["technicians"].values() if t["id"] != mine.id]
    assert others and all(t["phone"] == "" and t["skills"] == "" for t in others)
    assert any(u["email"] for u in demo_server.login("office").pull_all()["users"].values())


def test_a_rejected_users_row_shows_a_technician_no_contact_details(demo_server):
    client = demo_server.login("tech1")
    other = User.get(User.username == "tech2")
    answer = client.push(
        {"users": [{"id": other.id, "base_version": 0, "fields": {"display_name": "X"}}]}
    )
    rejected = answer.json()["rejected"]
    assert len(rejected) == 1
    row = rejected[0]["row"]
    assert row is None or (row["email"] == "" and row["username"] == other.id)


DATABASE_WORDS = ("constraint", "foreign key", "violates", "sqlite", "psycopg", "relation")


def test_database_messages_never_reach_the_device(demo_server):
    office = demo_server.login("office")
    orphan = {"id": str(uuid.uuid4()), "fields": {
        "intervention_id": "no-such-intervention", "author_id": office.user["id"],
        "visibility": "internal", "body": "orphan",
    }}  # fmt: skip
    missing = {"id": str(uuid.uuid4()), "fields": {"body": "no intervention"}}
    answer = office.push({"comments": [orphan, missing]})
    assert answer.status_code == 200, answer.text
    reasons = {r["id"]: r["reason"] for r in answer.json()["rejected"]}
    assert set(reasons) == {orphan["id"], missing["id"]}
    for reason in reasons.values():
        assert not any(word in reason.lower() for word in DATABASE_WORDS), reason
        assert "correct it" in reason
    assert "intervention_id" in reasons[missing["id"]]  # the field, when the database says
