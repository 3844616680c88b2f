"""A client generated from the committed contract, used as an integrator would use it.

openapi-python-client (pinned in the dev dependencies) generates a package from
openapi/openapi.json, offline, into a temporary directory; the client scripts in
client_scripts/ are copied beside it and type-checked with it under `mypy --strict`; then
they run the README walk-through against a live server (`followup serve` and `followup
worker` in subprocesses, on a SQLite file or on a fresh PostgreSQL database, following
FOLLOWUP_TEST_DATABASE_URL) and read real webhook deliveries from a loopback receiver.

Each delivery, `ping` included, parses into the generated model the contract's top-level
`webhooks` names for its event type, with no field left undeclared.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from sqlalchemy.engine import make_url

from app.settings import normalise_database_url
from tests import conftest
from tests.services.test_worker import Receiver
from tests.test_cli import KEY, free_port, server_environment

SCRIPTS = Path(__file__).parent / "client_scripts"
TODAY_SCRIPTS = ["client_walkthrough", "client_webhooks"]


@dataclass(frozen=True)
class Generated:
    root: Path  # holds the `followup_client` package and the client scripts
    document: dict[str, Any]


@pytest.fixture(scope="module")
def generated(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("generated")
    config = root / "generator.yaml"
    # No post hooks: the package is checked exactly as the generator writes it.
    config.write_text("package_name_override: followup_client\npost_hooks: []\n")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            str(project_root / "openapi" / "openapi.json"),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(root / "followup_client"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for script in SCRIPTS.glob("*.py"):
        shutil.copy(script, root)
    document = json.loads((project_root / "openapi" / "openapi.json").read_text())
    return Generated(root=root, document=document)


@pytest.fixture(scope="module")
def client_modules(generated: Generated) -> Iterator[dict[str, ModuleType]]:
    """The client scripts imported from beside the generated package (undone afterwards)."""
    sys.path.insert(0, str(generated.root))
    try:
        yield {name: importlib.import_module(name) for name in TODAY_SCRIPTS}
    finally:
        sys.path.remove(str(generated.root))
        for name in list(sys.modules):
            if name.split(".")[0] in {"followup_client", "client_idempotency", *TODAY_SCRIPTS}:
                del sys.modules[name]


def mypy_strict(generated: Generated, *modules: str) -> subprocess.CompletedProcess[str]:
    config = generated.root / "mypy.ini"  # this project's settings must not apply here
    config.write_text("[mypy]\nstrict = True\n")
    arguments = [arg for module in modules for arg in ("-m", module)]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "-p",
            "followup_client",
            *arguments,
        ],
        cwd=generated.root,
        env={**os.environ, "MYPYPATH": str(generated.root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def declares_header(document: dict[str, Any], operation_id: str, header: str) -> bool:
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                parameters = operation.get("parameters", [])
                return any(p.get("in") == "header" and p["name"] == header for p in parameters)
    raise AssertionError(f"no operation {operation_id}")


# --- a live server and worker --------------------------------------------------------------


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    api_key: str


@pytest.fixture(scope="module")
async def server_database_url(
    test_database: conftest.TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database of the run's kind for the server alone (it commits for real)."""
    if not test_database.is_postgres:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('server') / 'followup.db'}"
        return
    admin_url = normalise_database_url(os.environ[conftest.TEST_DATABASE_URL_VARIABLE])
    name = f"followup_client_{uuid.uuid4().hex[:8]}"
    await conftest._create_postgres_database(admin_url, name)
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await conftest._drop_postgres_database(admin_url, name)


@pytest.fixture(scope="module")
def live(server_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    environment = server_environment(tmp_path_factory.mktemp("data"))
    environment.update(
        {
            "DATABASE_URL": server_database_url,
            # The loopback receiver is plain http on 127.0.0.1 (development settings).
            "FOLLOWUP_WEBHOOK_ALLOW_HTTP": "true",
            "FOLLOWUP_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "FOLLOWUP_WORKER_POLL_INTERVAL_SECONDS": "0.1",
        }
    )

    def followup(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    migrated = followup("migrate")
    assert migrated.returncode == 0, migrated.stderr
    created = followup("tenants", "create", "Globex Talent")
    key = KEY.search(created.stdout)
    assert key is not None, created.stderr
    port = free_port()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "app", *command],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command in (["serve", "--port", str(port)], ["worker"])
    ]
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/readyz", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield LiveApi(base_url=base_url, api_key=key[0])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


# --- the tests ----------------------------------------------------------------------------


def test_scripts_pass_mypy_strict(generated: Generated) -> None:
    checked = mypy_strict(generated, *TODAY_SCRIPTS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found" in checked.stdout

    checked = mypy_strict(generated, "client_idempotency")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_readme_walkthrough(
    generated: Generated, client_modules: dict[str, ModuleType], live: LiveApi
) -> None:
    walkthrough = client_modules["client_walkthrough"]
    models = importlib.import_module("followup_client.models")
    client = walkthrough.connect(live.base_url, live.api_key)

    recorded = walkthrough.record_application(client)
    assert recorded.candidate.name == "Ada Lovelace"
    assert recorded.interview.panel == [contact.id for contact in recorded.panel]

    owed = walkthrough.thank_yous(client, recorded.application.id)
    assert len(owed) == 2  # one per interviewer
    assert {action.status for action in owed} == {models.ActionStatus.DUE}
    assert all(isinstance(action, models.ActionRead) for action in owed)

    draft = walkthrough.draft_for(client, owed[0].id)
    assert isinstance(draft, models.DraftRead)
    interviewer = next(c for c in recorded.panel if c.id == owed[0].subject.contact_id)
    assert draft.action_id == owed[0].id
    assert draft.recipient.contact_id == interviewer.id
    assert draft.body.startswith(f"Dear {interviewer.name.split()[0]},")

    key = f"complete-{uuid.uuid4()}"
    first, replay = walkthrough.complete_twice(client, owed[0].id, key)
    assert first.status_code == 200 and isinstance(first.parsed, models.ActionRead)
    assert first.parsed.status is models.ActionStatus.DONE
    assert "Idempotent-Replayed" not in first.headers
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == first.content

    stale = walkthrough.update_with_stale_etag(client, recorded.candidate.id)
    assert stale.renamed.name == "Ada King"
    assert isinstance(stale.refused, models.Problem)
    assert stale.refused.status == 412
    assert stale.refused.type_.endswith("/precondition-failed"), stale.refused.type_

    feed = walkthrough.whole_feed(client, page_size=2)
    everything = walkthrough.whole_feed(client, page_size=200)
    assert len(feed) > 2  # more than one page
    assert [action.id for action in feed] == [action.id for action in everything]
    assert {action.id for action in owed} <= {action.id for action in feed}

    assert declares_header(generated.document, "complete_action", "Idempotency-Key")
    idempotency = importlib.import_module("client_idempotency")
    first, replay = idempotency.complete_twice(
        client, owed[1].id, f"complete-{uuid.uuid4()}", walkthrough.AFTER_INTERVIEW
    )
    assert first.status_code == 200 and isinstance(first.parsed, models.ActionRead)
    assert first.parsed.status is models.ActionStatus.DONE
    assert "Idempotent-Replayed" not in first.headers
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"


def undeclared_fields(model: object) -> list[str]:
    """Names of the fields a parsed model kept in `additional_properties`, at any depth."""
    if isinstance(model, list):
        return [name for item in model for name in undeclared_fields(item)]
    model_class: Any = type(model)  # the generated models are attrs classes
    if not attrs.has(model_class):
        return []
    extra = getattr(model, "additional_properties", {})
    found = [f"{model_class.__name__}.{name}" for name in extra]
    for field in attrs.fields(model_class):
        if field.name != "additional_properties":
            found += undeclared_fields(getattr(model, field.name))
    return found


def test_webhook_deliveries(
    generated: Generated,
    client_modules: dict[str, ModuleType],
    live: LiveApi,
    receiver: Receiver,
) -> None:
    walkthrough = client_modules["client_walkthrough"]
    client = walkthrough.connect(live.base_url, live.api_key)
    endpoint = walkthrough.subscribe(client, receiver.url)
    walkthrough.record_application(client)

    wanted = {"ping", "interview.scheduled", "action.created"}
    deadline = time.monotonic() + 20
    while not wanted <= {r.headers["Followup-Event-Type"] for r in list(receiver.requests)}:
        assert time.monotonic() < deadline, [r.headers for r in receiver.requests]
        time.sleep(0.1)
    deliveries = list(receiver.requests)

    for delivery in deliveries:
        signature = delivery.headers["Followup-Signature"]
        assert walkthrough.verify(endpoint.secret, signature, delivery.body)
        assert not walkthrough.verify(endpoint.secret, signature, delivery.body + b" ")
        assert not walkthrough.verify("whsec_not-the-secret", signature, delivery.body)
        assert delivery.document["id"] == delivery.headers["Followup-Event-Id"]
        assert delivery.document["type"] == delivery.headers["Followup-Event-Type"]

    assert "webhooks" in generated.document
    webhooks = client_modules["client_webhooks"]
    for delivery in deliveries:
        event_type = delivery.headers["Followup-Event-Type"]
        model, payload = webhooks.parse_delivery(generated.document, event_type, delivery.body)
        assert isinstance(payload, model), event_type
        declared_type = payload.to_dict()["type"]  # a plain string or an enum's value
        assert declared_type == event_type
        assert undeclared_fields(payload) == [], event_type
