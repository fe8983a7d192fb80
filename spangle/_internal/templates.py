"""Jinja2 templates from `Api.templates_dir`, rendered asynchronously."""

from __future__ import annotations

import logging
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
_ESCAPED = ("html", "xml", "j2")
logger = logging.getLogger("spangle")


def environment(api: Api) -> jinja2.Environment:
    """Return the Jinja2 environment of an Api, making it on first use.

    Args:
        api: The Api; its `templates_dir` and `auto_escape` configure it.

    Returns:
        The environment, with the `api` global set.

    Raises:
        ValueError: The Api has `templates_dir=None`.
    """
    env = _environments.get(api)
    if env is None:
        if api.templates_dir is None:
            raise ValueError("templates are disabled: Api(templates_dir=None)")
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(api.templates_dir),
            # As in spangle 0.11: HTML and XML templates are escaped.
            autoescape=jinja2.select_autoescape(_ESCAPED if api.auto_escape else ()),
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
        NotFoundError: No such template, or `templates_dir` does not exist.
        ValueError: Templates are disabled.
    """
    api = use_api()
    env = environment(api)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        if not os.path.isdir(str(api.templates_dir)):
            # The client gets a 404; the developer needs to know why.
            logger.warning("templates_dir %r does not exist", api.templates_dir)
        raise NotFoundError() from None
    return await template.render_async(**params)
