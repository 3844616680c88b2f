"""What the app does when it starts serving, outside any one request."""

from __future__ import annotations

import gc
from pathlib import Path

import httpx

from app.db import migrations
from app.db.engine import create_engine
from app.main import create_app
from app.settings import Settings


async def _migrated_sqlite(tmp_path: Path) -> Settings:
    """Settings for a SQLite database in ``tmp_path``, migrated to head."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        data_dir=tmp_path,
        secret_key="lifespan-test-secret-key-of-32-chars",
    )
    engine = create_engine(settings)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()
    return settings


async def test_starting_freezes_what_was_loaded_so_full_collections_stay_short(
    tmp_path: Path,
) -> None:
    app = create_app(await _migrated_sqlite(tmp_path))
    gc.unfreeze()
    try:
        async with app.router.lifespan_context(app):
            assert app.state.engine is not None
            # The loaded app is out of the collector's way: a full pass walks only what
            # serving creates, not the routes, models and caches that live forever.
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


async def test_each_run_of_the_lifespan_opens_its_own_engine_and_serves(tmp_path: Path) -> None:
    app = create_app(await _migrated_sqlite(tmp_path))
    engines = []
    try:
        for _ in range(2):
            async with app.router.lifespan_context(app):
                engines.append(app.state.engine)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    ready = await http.get("/readyz")
                    assert ready.status_code == 200, ready.text
            # What it opened is closed, and not left for the next run to take as injected.
            assert app.state.engine is None
    finally:
        gc.unfreeze()
    assert engines[0] is not None and engines[1] is not None and engines[0] is not engines[1]
