"""The fan-out load: clients added step by step, broadcasts timed at each.

`python -m bench.scenarios.fanout CONFIG_JSON` (started by `bench.scale`)
runs picows clients in `workers` processes of `bench.scenarios.fanout_clients`
and `senders` sender connections here. At each step it opens clients up to
the step's count (round robin over the servers' URLs), makes sure every one
receives broadcasts, then has the senders ask for `samples` broadcasts in
closed loop: each sender sends a text frame, the server sends it to every
connection, and the sender sends its next one once every client has it. A
broadcast's round trip runs from its send until the last client got it.

It prints one JSON line per step (`{"step": {...}}`), and stops after a
step that failed or after the second step in a row whose 95th percentile is
over `bound_ms` (`bench.scale_report.score`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.scale_report import BAD_IN_A_ROW, good
from bench.scenarios import ROOT, run_loop
from bench.scenarios.fanout_clients import ID_DIGITS, raise_fd_limit
from bench.scenarios.stats import percentile, proc_cpu_seconds, proc_rss_bytes

#: Broadcasts that must reach everyone before a step is measured.
WARMUP = 2
SETTLE_TRIES = 20


@dataclass
class Config:
    """What the load does; decoded from the command line's JSON.

    Attributes:
        urls: The servers' WebSocket URLs.
        pids: The server processes whose CPU time and memory are read.
        steps: Client counts, in increasing order.
        samples: Broadcasts timed per step.
        senders: Sender connections, each with one broadcast in flight.
        bound_ms: The 95th-percentile bound that ends the run.
        workers: Client processes.
        timeout: Seconds a broadcast may take before the step fails; the
            broadcasts that check every client is listening get a few
            seconds, or this long if it is longer.
        payload: Bytes per broadcast message.
        gc_urls: The servers' `GET /gc` URLs (read around each step).
        redis: A Redis URL whose pub/sub deliveries are counted, or "".
        redis_pid: The Redis server's process, or 0.
        inspect: Also read, at each step, the servers' memory and tracked
            objects while the clients are idle, and time one full collection
            after the broadcasts; the collector's pauses then cover opening
            the step's connections too.
    """

    urls: list[str]
    pids: list[int]
    steps: list[int]
    samples: int = 40
    senders: int = 4
    bound_ms: float = 500.0
    workers: int = 2
    timeout: float = 20.0
    payload: int = 100
    gc_urls: list[str] = field(default_factory=list)
    redis: str = ""
    redis_pid: int = 0
    inspect: bool = False


class StepFailed(RuntimeError):
    """A step could not be measured (clients not connected, broadcasts lost)."""


class Sender(WSListener):  # type: ignore[misc]
    """A connection that sends broadcasts and ignores what comes back."""

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()


class Worker:
    """One client process and what it reported."""

    def __init__(self, process: asyncio.subprocess.Process, load: Load) -> None:
        self.process = process
        self.clients = 0
        self._load = load
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def command(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send a command, return its answer."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(command).encode() + b"\n")
        await stdin.drain()
        answer = await asyncio.wait_for(self._answers.get(), timeout)
        if "error" in answer:
            raise StepFailed(f"client process: {answer['error']}")
        return answer

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while line := await stdout.readline():
            if line.startswith(b"R "):
                _, broadcast, ns = line.split()
                self._load.reported(int(broadcast), int(ns))
            elif line.startswith(b"J "):
                self._answers.put_nowait(json.loads(line[2:]))


class Load:
    """The client processes, the senders and the broadcasts in flight."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rss_base = 0
        self.tracked_base: Counter[str] = Counter()
        self.workers: list[Worker] = []
        self.senders: list[WSTransport] = []
        self._next_id = 1
        self._waiting: dict[int, tuple[asyncio.Future[int], list[int]]] = {}
        self._filler = b"x" * max(0, config.payload - ID_DIGITS - 1)

    async def start(self) -> None:
        """Start the client processes and connect the senders."""
        for _ in range(self.config.workers):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.scenarios.fanout_clients",
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            self.workers.append(Worker(process, self))
        for i in range(self.config.senders):
            url = self.config.urls[i % len(self.config.urls)]
            transport, _ = await ws_connect(Sender, url)
            self.senders.append(transport)

    async def stop(self) -> None:
        """Disconnect everything and end the client processes."""
        for transport in self.senders:
            transport.disconnect()
        for worker in self.workers:
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.process.wait(), 30)
            except asyncio.TimeoutError:
                worker.process.kill()
                await worker.process.wait()

    @property
    def clients(self) -> int:
        """Open client connections, as the client processes last reported."""
        return sum(worker.clients for worker in self.workers)

    async def grow(self, total: int) -> None:
        """Open clients until `total` are open, spread over the processes."""
        missing = total - self.clients
        if missing <= 0:
            return
        shares = [missing // len(self.workers)] * len(self.workers)
        for i in range(missing % len(self.workers)):
            shares[i] += 1
        first = self.clients
        commands = []
        for worker, share in zip(self.workers, shares, strict=True):
            command = {"open": share, "urls": self.config.urls, "first": first}
            commands.append(worker.command(command, 60 + share / 50))
            first += share
        answers = await asyncio.gather(*commands)
        for worker, answer in zip(self.workers, answers, strict=True):
            worker.clients = answer["clients"]
        closed = sum(answer["closed"] for answer in answers)
        if self.clients != total or closed:
            raise StepFailed(f"{self.clients} clients open of {total}, {closed} closed")

    def reported(self, broadcast: int, ns: int) -> None:
        """Note that one client process has the broadcast everywhere."""
        waiting = self._waiting.get(broadcast)
        if waiting is None:
            return
        future, times = waiting
        times.append(ns)
        if (
            len(times) == sum(1 for w in self.workers if w.clients)
            and not future.done()
        ):
            future.set_result(max(times))

    async def broadcast(self, sender: WSTransport, timeout: float) -> float | None:
        """Send one broadcast; return its round trip in ms, `None` if lost."""
        broadcast = self._next_id
        self._next_id += 1
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[broadcast] = (future, [])
        payload = b"%0*d " % (ID_DIGITS, broadcast) + self._filler
        try:
            sent = time.monotonic_ns()
            sender.send(WSMsgType.TEXT, payload)
            last = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            del self._waiting[broadcast]
        return (last - sent) / 1e6

    async def settle(self) -> None:
        """Broadcast until every client gets `WARMUP` broadcasts in a row."""
        streak = 0
        for _ in range(SETTLE_TRIES):
            patience = max(3.0 + self.clients / 1000, self.config.timeout / 4)
            rtt = await self.broadcast(self.senders[0], patience)
            streak = streak + 1 if rtt is not None else 0
            if streak == WARMUP:
                return
        raise StepFailed("the clients do not all receive the broadcasts")

    async def sample(self) -> list[float | None]:
        """Time `samples` broadcasts, `senders` of them in flight at once."""
        per_sender = -(-self.config.samples // len(self.senders))
        timeout = self.config.timeout

        async def loop(sender: WSTransport) -> list[float | None]:
            return [await self.broadcast(sender, timeout) for _ in range(per_sender)]

        rounds = await asyncio.gather(*(loop(sender) for sender in self.senders))
        return [rtt for timings in rounds for rtt in timings]


def _get_json(url: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:
        found: dict[str, Any] = json.loads(response.read())
        return found


async def read_gc(urls: list[str], query: str) -> list[dict[str, Any]]:
    """Read every server's `GET /gc` (in a thread: urllib blocks)."""
    return [await asyncio.to_thread(_get_json, f"{url}?{query}") for url in urls]


def _cpu(pids: list[int]) -> float:
    return sum(proc_cpu_seconds(pid) for pid in pids)


async def tracked(config: Config) -> Counter[str]:
    """Count the objects the servers' collectors track, by type."""
    counts: Counter[str] = Counter()
    for found in await read_gc(config.gc_urls, "objects=1"):
        counts.update(found["by_type"])
    return counts


async def baseline(load: Load) -> None:
    """Read memory and tracked objects before any client connects."""
    load.rss_base = sum(proc_rss_bytes(pid) for pid in load.config.pids)
    if load.config.inspect:
        load.tracked_base = await tracked(load.config)
        await read_gc(load.config.gc_urls, "reset=1")


async def idle_readings(load: Load, clients: int) -> dict[str, Any]:
    """Read memory (and tracked objects) per connection, clients idle."""
    config = load.config
    rss = sum(proc_rss_bytes(pid) for pid in config.pids)
    found: dict[str, Any] = {"rss_per_connection": (rss - load.rss_base) / clients}
    if config.inspect:
        counts = await tracked(config)
        counts.subtract(load.tracked_base)
        per = {name: n / clients for name, n in counts.items() if n / clients >= 0.01}
        found["tracked_per_connection"] = sum(counts.values()) / clients
        found["tracked_by_type"] = dict(sorted(per.items(), key=lambda kv: -kv[1]))
    return found


async def measure_step(load: Load, clients: int) -> dict[str, Any]:
    """Grow to `clients`, settle, time the broadcasts; return the step."""
    config = load.config
    await load.grow(clients)
    idle = await idle_readings(load, clients)
    await load.settle()
    if not config.inspect:
        # The pauses of the timed broadcasts only; with `inspect`, those of
        # opening the connections too, since the last step.
        await read_gc(config.gc_urls, "reset=1")
    counter = RedisCounter(config.redis, config.payload) if config.redis else None
    if counter is not None:
        await counter.start()
    cpu_before = _cpu(config.pids)
    redis_cpu_before = _cpu([config.redis_pid] if config.redis_pid else [])
    started = time.monotonic()
    timings = await load.sample()
    elapsed = time.monotonic() - started
    cpu = _cpu(config.pids) - cpu_before
    redis_cpu = _cpu([config.redis_pid] if config.redis_pid else []) - redis_cpu_before
    collectors = await read_gc(config.gc_urls, "reset=1")
    done = [t for t in timings if t is not None]
    deliveries = len(timings) * (clients + len(load.senders))
    step: dict[str, Any] = {
        **idle,
        "clients": clients,
        "samples": len(timings),
        "lost": len(timings) - len(done),
        "seconds": elapsed,
        "cpu_us": cpu / deliveries * 1e6,
        "rss": [proc_rss_bytes(pid) for pid in config.pids],
        "gc_longest_ms": max(
            (max(found["longest_ms"]) for found in collectors), default=0.0
        ),
        "gc_full": sum(found["counts"][2] for found in collectors),
    }
    if done:
        step |= {
            "p50": percentile(done, 50),
            "p95": percentile(done, 95) if not step["lost"] else float("inf"),
            "max": max(done),
        }
    if counter is not None:
        step |= await counter.stop(len(timings))
        step["redis_cpu_us"] = redis_cpu / deliveries * 1e6
    if config.inspect:
        forced = await read_gc(config.gc_urls, "collect=1&reset=1")
        step["collect_ms"] = max(found["collect_ms"] for found in forced)
        step["frozen"] = sum(found["frozen"] for found in forced)
    return step


class RedisCounter:
    """Counts the pub/sub messages Redis sends, from its output byte count.

    During the timed broadcasts Redis writes only the messages to the
    subscriber connections and a short reply to each `PUBLISH`; its
    `total_net_output_bytes` therefore tells how many messages it
    delivered. The `INFO` replies that read the count are measured and
    taken off.
    """

    def __init__(self, url: str, payload: int) -> None:
        from redis.asyncio import Redis

        self._client = Redis.from_url(url)
        self._message = redis_message_bytes(REDIS_CHANNEL, payload + 1)
        self._start = 0
        self._info_reply = 0

    async def _output(self) -> int:
        found = await self._client.info("stats")
        return int(found["total_net_output_bytes"])

    async def start(self) -> None:
        """Read the count before the broadcasts."""
        first = await self._output()
        self._start = await self._output()
        self._info_reply = self._start - first

    async def stop(self, broadcasts: int) -> dict[str, float]:
        """Read the count after `broadcasts` broadcasts.

        Returns:
            `redis_messages_per_broadcast` (all subscriber connections
            together) and `redis_subscriptions` (Redis's `NUMSUB` count).
        """
        output = await self._output() - self._start - self._info_reply
        numsub = await self._client.pubsub_numsub(REDIS_CHANNEL)
        await self._client.aclose()
        subscriptions = int(numsub[0][1])
        replies = broadcasts * len(b":%d\r\n" % subscriptions)
        return {
            "redis_messages_per_broadcast": (output - replies)
            / self._message
            / broadcasts,
            "redis_subscriptions": subscriptions,
        }


def redis_message_bytes(channel: bytes, payload: int) -> int:
    """Return the size of one pub/sub message as Redis writes it (RESP2).

    Args:
        channel: The channel's name in Redis.
        payload: The published payload's length.

    Returns:
        `*3`, `$7 message`, the channel and the payload, framed.
    """
    parts = (b"message", channel, b"x" * payload)
    return len(b"*3\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))


#: The fan-out app's channel in Redis; spangle tags each payload with one byte.
REDIS_CHANNEL = b"spangle:room"


async def run(config: Config) -> None:
    """Measure step after step, printing each; stop past the bound."""
    raise_fd_limit()
    load = Load(config)
    await load.start()
    try:
        await baseline(load)
        bad = 0
        for clients in config.steps:
            try:
                step = await measure_step(load, clients)
            except (StepFailed, OSError, asyncio.TimeoutError) as exc:
                print(json.dumps({"step": {"clients": clients, "error": str(exc)}}))
                break
            print(json.dumps({"step": step}), flush=True)
            bad = 0 if good(step, config.bound_ms) else bad + 1
            if bad == BAD_IN_A_ROW:
                break
    finally:
        await load.stop()


def main() -> None:
    """Decode the configuration, run the load."""
    config = Config(**json.loads(sys.argv[1]))
    run_loop(run(config))
    print(json.dumps({"config": asdict(config)}), flush=True)


if __name__ == "__main__":
    main()
