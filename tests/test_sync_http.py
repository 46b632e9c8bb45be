"""The device engine over real HTTP: HttpTransport against ``main.py serve`` (a subprocess,
so head office and the device each have their own process and ``db`` binding)."""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import shutil

from server_support import running_serve
from sync_support import open_device, server_template  # noqa: F401

from app.models import Intervention, Technician, db
from app.sync import tracking
from app.sync.engine import synchronize
from app.sync.store import SyncOutbox, ensure_device_id
from app.sync.transport import HttpTransport


def test_sync_over_http(tmp_path, server_template):
    data_dir = tmp_path / "headoffice"
    data_dir.mkdir()
    shutil.copy2(server_template, data_dir / "headoffice.db")
    with running_serve(data_dir) as served:
        device = open_device(tmp_path / "device.db")
        tracking.install()
        try:
            transport = HttpTransport(served.base)
            user = transport.login("tech1", "demo", ensure_device_id())["user"]
            first = synchronize(transport)
            assert first.pull.full and first.pull.rows > 1000
            tech = Technician.get(Technician.user == user["id"])
            job = Intervention.get(
                (Intervention.technician == tech.id)
                & Intervention.status.in_(("planned", "assigned"))
            )
            job.diagnosis = "par HTTP"
            job.save()
            second = synchronize(transport)
            assert (second.push.applied, second.pull.rows) == (1, 1)
            assert SyncOutbox.select().count() == 0
            assert Intervention.get_by_id(job.id).sync_version > job.sync_version
            transport.close()
        finally:
            tracking.uninstall()
            device.close()
            db.initialize(None)
