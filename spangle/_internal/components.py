"""Run a component's methods in the context of the Api that holds it."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import FunctionType
from typing import TYPE_CHECKING, Any

from spangle.component import api_ctx

if TYPE_CHECKING:
    from spangle.api import Api


def bind_methods(instance: Any, api: Api) -> None:
    """Make every method of a component instance run with `api` current.

    So a component reached with `use_component(cls, api=api)` outside of a
    request can call `use_api()` / `use_component()` in its methods, as in
    spangle 0.11. Dunder methods are left alone, and so are the methods of
    an instance without a `__dict__` (slotted classes).

    Args:
        instance: The component instance.
        api: The Api it is registered on.
    """
    names = {
        name
        for klass in type(instance).__mro__[:-1]
        for name, value in vars(klass).items()
        if isinstance(value, FunctionType) and not name.startswith("__")
    }
    if not hasattr(instance, "__dict__"):
        return
    for name in names:
        method = getattr(instance, name)
        if inspect.ismethod(method):
            instance.__dict__[name] = _in_context(method, api)


def _in_context(method: Callable[..., Any], api: Api) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            if api_ctx.get(None) is api:
                return await method(*args, **kwargs)
            token = api_ctx.set(api)
            try:
                return await method(*args, **kwargs)
            finally:
                api_ctx.reset(token)

        return run_async

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        if api_ctx.get(None) is api:
            return method(*args, **kwargs)
        token = api_ctx.set(api)
        try:
            return method(*args, **kwargs)
        finally:
            api_ctx.reset(token)

    return run
