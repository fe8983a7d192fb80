"""Components: objects shared by the views of one `Api`.

A component is a class created once per Api with no arguments; it may have
`startup` and `shutdown` methods, sync or async, run by the ASGI lifespan.
Lookups go through context variables, so two Apis in one process never see
each other's components.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from spangle.api import Api

__all__ = [
    "ComponentProtocol",
    "AsyncStartupComponentProtocol",
    "SyncStartupComponentProtocol",
    "AsyncShutdownComponentProtocol",
    "SyncShutdownComponentProtocol",
    "AnyComponentProtocol",
    "ComponentsCache",
    "api_ctx",
    "component_ctx",
    "use_api",
    "use_component",
]


@runtime_checkable
class ComponentProtocol(Protocol):
    """A component is created without arguments."""

    def __init__(self) -> None:
        """Make the component."""


# duplicates: one Protocol per lifecycle method, as 0.11 names them.
@runtime_checkable
class AsyncStartupComponentProtocol(ComponentProtocol, Protocol):
    """A component with an async `startup`."""

    async def startup(self) -> None:
        """Run at server startup; `use_component` reaches other components."""


@runtime_checkable
class SyncStartupComponentProtocol(ComponentProtocol, Protocol):
    """A component with a sync `startup`."""

    def startup(self) -> None:
        """Run at server startup; `use_component` reaches other components."""


@runtime_checkable
class AsyncShutdownComponentProtocol(ComponentProtocol, Protocol):
    """A component with an async `shutdown`."""

    async def shutdown(self) -> None:
        """Run at server shutdown."""


@runtime_checkable
class SyncShutdownComponentProtocol(ComponentProtocol, Protocol):
    """A component with a sync `shutdown`."""

    def shutdown(self) -> None:
        """Run at server shutdown."""


AnyComponentProtocol = (
    ComponentProtocol
    | AsyncStartupComponentProtocol
    | SyncStartupComponentProtocol
    | AsyncShutdownComponentProtocol
    | SyncShutdownComponentProtocol
)

T = TypeVar("T")

api_ctx: ContextVar[Api] = ContextVar("spangle.api_ctx")
"""The `Api` serving the current request, connection or lifespan event."""

component_ctx: ContextVar[Mapping[type, Any]] = ContextVar("spangle.component_ctx")
"""Component overrides for the current context, consulted before the Api's.

The framework never sets it; set it in a test to swap a component for a fake.
"""


def use_api() -> Api:
    """Return the `Api` of the current context.

    Returns:
        The Api serving the current request, connection or lifespan event.

    Raises:
        KeyError: Called outside of any Api's context.
    """
    try:
        return api_ctx.get()
    except LookupError:
        raise KeyError(
            "use_api() was called outside of an Api: call it inside a view, hook, "
            "error handler, component method or lifespan function, or reach a "
            "component first with use_component(cls, api=api)"
        ) from None


def use_component(component: type[T], api: Api | None = None) -> T:
    """Return the registered instance of a component class.

    A component's methods always run in the context of the Api that holds
    it, so one fetched with `api=` outside of a request can itself call
    `use_api()` and `use_component()`.

    Args:
        component: The component class.
        api: The Api to look in; the current context's when `None`. Pass it
            to reach a component outside of a request, e.g. from a script.

    Returns:
        The instance registered on the Api.

    Raises:
        KeyError: The component is not registered on the Api, or no `api`
            is given and there is no Api in the current context.
    """
    overrides = component_ctx.get(None)
    if overrides is not None and component in overrides:
        return overrides[component]  # type: ignore[no-any-return]
    owner = api if api is not None else use_api()
    try:
        return owner.components[component]  # type: ignore[no-any-return]
    except KeyError:
        raise KeyError(
            f"component {component.__qualname__} is not registered on this Api; "
            "add it with Api(components=[...]) or api.register_component()"
        ) from None


class ComponentsCache(Mapping[type, Any]):
    """Component instances by class, e.g. fakes to put in `component_ctx`.

    `component_ctx.set(ComponentsCache({Mailer: FakeMailer()}))` makes
    `use_component(Mailer)` return the fake in that context.

    Attributes:
        components (`dict[type, Any]`): The instances by class.
    """

    def __init__(self, components: Mapping[type, Any] | None = None) -> None:
        """Make the cache.

        Args:
            components: Instances by class.
        """
        self.components: dict[type, Any] = dict(components or {})

    def __call__(self, component: type[T]) -> T:
        """Return the instance of a component class.

        Args:
            component: The class.

        Returns:
            Its instance.

        Raises:
            KeyError: No instance for that class.
        """
        return self.components[component]  # type: ignore[no-any-return]

    def __getitem__(self, component: type) -> Any:
        return self.components[component]

    def __iter__(self) -> Iterator[type]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)
