"""Every text field of every request body says whether it is one line or several."""

from __future__ import annotations

import importlib
import pkgutil
import types
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic

import app.schemas
from app.schemas.common import MultiLine, SingleLine, WriteModel


def _request_models() -> list[type[WriteModel]]:
    for module in pkgutil.iter_modules(app.schemas.__path__):
        importlib.import_module(f"app.schemas.{module.name}")
    found: list[type[WriteModel]] = []
    pending: list[type[WriteModel]] = [WriteModel]
    while pending:
        for child in pending.pop().__subclasses__():
            found.append(child)
            pending.append(child)
    return found


def _undeclared_text(annotation: Any, metadata: list[Any]) -> bool:
    """Whether ``annotation`` holds a ``str`` without SingleLine or MultiLine beside it."""
    if get_origin(annotation) is Annotated:
        inner, *extra = get_args(annotation)
        return _undeclared_text(inner, [*metadata, *extra])
    if get_origin(annotation) in (Union, types.UnionType, list, set, tuple, dict):
        return any(_undeclared_text(arg, metadata) for arg in get_args(annotation))
    if annotation is str:
        return not any(marker is SingleLine or marker is MultiLine for marker in metadata)
    return False


def test_every_text_field_declares_one_line_or_several() -> None:
    models = _request_models()
    assert len(models) > 20
    undeclared = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if _undeclared_text(field.annotation, list(field.metadata))
    ]
    assert undeclared == []


def test_the_check_sees_an_undeclared_field() -> None:
    class Careless(pydantic.BaseModel):  # not a WriteModel: the first test would see it
        label: str | None = None
        tags: list[str] = []
        kind: Enum | None = None
        mail: pydantic.EmailStr | None = None

    names = [n for n, f in Careless.model_fields.items() if _undeclared_text(f.annotation, [])]
    assert names == ["label", "tags"]
