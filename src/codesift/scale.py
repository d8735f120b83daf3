"""Ray scale-out: sandboxed executions and sampling requests spread over a Ray cluster.

Ray isolates nothing, so every execution actor runs codesift's own sandbox
(`codesift.execute.make_executor`) inside its worker process; `RayExecutor` has the same interface as
the local executor, so the pipeline cannot tell them apart. Sampling actors build their backends
themselves (an embedded model loads once per actor; an HTTP backend talks to its server), and every
completion is a function of its seed, so the same seeds give the same candidates as a local run.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from codesift.backends import Backend, BackendError
from codesift.backends.openai_http import SamplingInterrupted
from codesift.records import Completion, Execution, Policy, Prompt, Test

if TYPE_CHECKING:
    from codesift.execute import Job, Limits


def connect(address: str | None = None, **init: Any) -> bool:
    """Join the cluster at ``address`` (or ``RAY_ADDRESS``), else start a local one; True if we started it."""
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    try:
        if address:
            ray.init(address=address, log_to_driver=False, **init)
        else:
            ray.init(include_dashboard=False, log_to_driver=False, **init)
    except (ConnectionError, TimeoutError, ValueError) as e:
        raise BackendError(f"cannot join the Ray cluster at {address or 'local'} ({e}); check --ray-address") from None
    return True


class _ExecutionActor:
    """One Ray worker process holding one local sandboxed executor."""

    def __init__(self, workers: int, sandbox: str, limits: Limits | None) -> None:
        from codesift.execute import make_executor

        kwargs: dict[str, Any] = {"workers": workers, "sandbox": sandbox}
        if limits is not None:
            kwargs["limits"] = limits
        self.executor = make_executor(**kwargs)

    def isolation(self) -> str:
        return str(self.executor.isolation)

    def run(self, code: str, tests: tuple[Test, ...], stop_on_failure: bool) -> list[Execution]:
        return self.executor.run(code, tests, stop_on_failure=stop_on_failure)

    def run_jobs(self, jobs: list[Job]) -> list[tuple[Job, list[Execution]]]:
        return list(self.executor.map(jobs))

    def close(self) -> None:
        self.executor.close()


class RayExecutor:
    """The Executor interface over a pool of Ray actors, each running codesift's sandbox.

    ``map`` ships jobs in chunks of ``chunk`` (fewer Ray calls) and keeps at most two chunks in flight
    per actor, so a long job stream never floods the object store.
    """

    def __init__(
        self,
        *,
        actors: int | None = None,
        workers_per_actor: int = 1,
        sandbox: str = "auto",
        limits: Limits | None = None,
        address: str | None = None,
        chunk: int = 8,
    ) -> None:
        import ray

        self._owns_ray = connect(address)
        if actors is None:  # one actor per CPU of the cluster
            actors = max(1, int(ray.cluster_resources().get("CPU", 1)) // workers_per_actor)
        actor_class = ray.remote(num_cpus=workers_per_actor)(_ExecutionActor)
        self._actors: list[Any] = [actor_class.remote(workers_per_actor, sandbox, limits) for _ in range(actors)]
        isolations = set(ray.get([a.isolation.remote() for a in self._actors]))
        self.isolation = " | ".join(sorted(isolations))
        self.chunk = max(1, chunk)  # jobs per Ray call; tunable between runs
        self._next = itertools.cycle(self._actors)

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RayExecutor(actors={len(self._actors)}, isolation={self.isolation!r})"

    def run(self, code: str, tests: Sequence[Test], *, stop_on_failure: bool = False) -> list[Execution]:
        import ray

        return list(ray.get(next(self._next).run.remote(code, tuple(tests), stop_on_failure)))

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, list[Execution]]]:
        import ray

        chunks = _chunks(jobs, self.chunk)
        pending: dict[Any, Any] = {}  # object ref -> actor that computes it
        idle = [actor for actor in self._actors for _ in range(2)]
        while True:
            while idle:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                actor = idle.pop()
                pending[actor.run_jobs.remote(chunk)] = actor
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            idle.append(pending.pop(done[0]))
            yield from ray.get(done[0])

    def close(self) -> None:
        import ray

        if not self._actors:
            return
        try:
            ray.get([a.close.remote() for a in self._actors])
        finally:
            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
            if self._owns_ray:
                ray.shutdown()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def make_ray_executor(
    *,
    address: str | None = None,
    sandbox: str = "auto",
    limits: Limits | None = None,
    actors: int | None = None,
) -> RayExecutor:
    """`--executor ray`: as `codesift.execute.make_executor`, but over the Ray cluster at ``address``."""
    return RayExecutor(actors=actors, sandbox=sandbox, limits=limits, address=address)


class _SamplingActor:
    """Holds the real backends of one Ray worker, built on first use for each policy."""

    def __init__(self, backend_for: Callable[[Policy], Backend]) -> None:
        self.backend_for = backend_for
        self.backends: dict[Policy, Backend] = {}

    def complete(self, prompt: Prompt, seeds: list[int], policy: Policy) -> list[Completion]:
        if policy not in self.backends:
            self.backends[policy] = self.backend_for(policy)
        return self.backends[policy].complete(prompt, seeds, policy)


class RaySampling:
    """Turns a local ``backend_for(policy)`` into one whose sampling runs on a pool of Ray actors.

    Seeds are dealt to the actors in contiguous slices and the answers re-assembled in seed order; as
    each completion depends only on its seed, the candidates equal a local run's. Actors reserve no CPU
    by default (an HTTP backend mostly waits, and execution actors hold one CPU each, so a reservation
    could starve one pool of the other); ``num_cpus``, ``num_gpus`` or custom ``resources`` place them.
    """

    def __init__(
        self,
        backend_for: Callable[[Policy], Backend],
        *,
        actors: int = 1,
        address: str | None = None,
        num_cpus: float = 0,
        num_gpus: float = 0,
        resources: dict[str, float] | None = None,
    ) -> None:
        import ray

        self._owns_ray = connect(address)
        actor_class = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, resources=resources or {})(_SamplingActor)
        self._actors: list[Any] = [actor_class.remote(backend_for) for _ in range(actors)]

    def __call__(self, policy: Policy) -> Backend:
        return _RayBackend(self._actors)

    def close(self) -> None:
        import ray

        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._owns_ray:
            ray.shutdown()


class _RayBackend:
    def __init__(self, actors: list[Any]) -> None:
        self._actors = actors

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        import ray

        seeds = list(seeds)
        size = -(-len(seeds) // len(self._actors)) or 1
        refs = [
            actor.complete.remote(prompt, seeds[i : i + size], policy)
            for actor, i in zip(self._actors, range(0, len(seeds), size), strict=False)
        ]
        done: list[Completion] = []
        failure: BackendError | None = None
        for ref in refs:  # every slice is collected, so samples that did arrive survive another's failure
            try:
                done += ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                if not isinstance(e.cause, BackendError):
                    raise
                done += getattr(e.cause, "completions", ())
                failure = failure or e.cause
        if failure is not None:  # one line, not the remote traceback
            raise SamplingInterrupted(str(failure), sorted(done, key=lambda c: seeds.index(c.seed)))
        return done
