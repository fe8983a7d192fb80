"""The error raised when a feature's optional dependency is not installed."""

from __future__ import annotations


def missing_extra(feature: str, extra: str, error: ImportError) -> ImportError:
    """Make the ImportError that tells which extra brings a missing module.

    Args:
        feature: What needs the module, as the user knows it ("the test client").
        extra: The extra of the `spangle` distribution that installs it.
        error: The ImportError raised by the failed import.

    Returns:
        An ImportError naming the missing module and the install command.
    """
    # `redis.asyncio` when redis-py is absent: name the distribution's package.
    module = (error.name or "a dependency").partition(".")[0]
    return ImportError(
        f"{feature} needs {module}, which is not installed: "
        f"pip install 'spangle[{extra}]'",
        name=module,
    )
