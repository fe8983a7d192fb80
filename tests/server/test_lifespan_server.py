import httpx
import pytest

from tests.support.server import READY_TIMEOUT, run_server, stop


@pytest.mark.parametrize("kind", ["uvicorn", "hypercorn"])
async def test_a_real_server_runs_startup_before_serving_and_shutdown_on_stop(
    kind: str,
) -> None:
    with run_server("tests.apps.lifespan:api", server=kind) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            answer = await http.get("/events")
        assert answer.json() == {"events": ["component startup", "start function"]}
        stop(server)
        output = server.output
    assert output.index("stop function") < output.index("component shutdown")


def test_uvicorn_refuses_to_start_when_startup_fails() -> None:
    with run_server("tests.apps.lifespan:failing", expect_start=False) as server:
        status = server.process.wait(READY_TIMEOUT)
        output = server.output
    assert status != 0
    assert "cannot reach the database at db:5432" in output
    assert "Uvicorn running on" not in output
