"""Jinja2 templates from `Api.templates_dir`, rendered asynchronously."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from spangle._internal.extras import missing_extra
from spangle.component import use_api
from spangle.exceptions import NotFoundError

try:
    import jinja2
except ImportError as error:
    raise missing_extra("Response.load_template()", "jinja", error) from error

if TYPE_CHECKING:
    from spangle.api import Api

# One environment per Api, made on first use: an app without templates
# never touches Jinja2 or the file system.
_environments: WeakKeyDictionary[Api, jinja2.Environment] = WeakKeyDictionary()


def environment(api: Api) -> jinja2.Environment:
    """Return the Jinja2 environment of an Api, making it on first use.

    Args:
        api: The Api; its `templates_dir` and `auto_escape` configure it.

    Returns:
        The environment, with the `api` global set.

    Raises:
        RuntimeError: The Api has `templates_dir=None`.
    """
    env = _environments.get(api)
    if env is None:
        if api.templates_dir is None:
            raise RuntimeError("templates are disabled: Api(templates_dir=None)")
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(api.templates_dir),
            autoescape=api.auto_escape,
            enable_async=True,
        )
        env.globals["api"] = api
        _environments[api] = env
    return env


async def render(name: str, params: dict[str, Any]) -> str:
    """Render a template of the current Api.

    Args:
        name: The template's path inside `templates_dir`.
        params: Template variables.

    Returns:
        The rendered text.

    Raises:
        NotFoundError: No such template.
        RuntimeError: Templates are disabled, or `templates_dir` does not exist.
    """
    api = use_api()
    env = environment(api)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        if not os.path.isdir(str(api.templates_dir)):
            raise RuntimeError(
                f"templates_dir {api.templates_dir!r} does not exist"
            ) from None
        raise NotFoundError() from None
    return await template.render_async(**params)
