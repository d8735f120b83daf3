"""The job engine behind the HTTP app: a bounded queue, a small worker pool, one lock per model.

- A job is a solve request (kinds ``solve`` and ``chat``) or a question about uploaded data (``ask``);
  it is written to the store before it is queued, its candidates and executions go to the store as the
  pipeline produces them, so a restarted service re-queues every unfinished job and the pipeline
  resumes it without re-sampling.
- Workers are few (``workers``); the embedded backend is not thread-safe, so every model has one lock
  and jobs on the same model take turns at sampling while the others execute or select.
- The queue is bounded: a submission beyond ``queue`` waiting jobs is refused (`QueueFull`, HTTP 429).
- Every pipeline event, and the service's own (status, verdicts, clusters, done), is numbered and
  stored, so an event stream can be replayed from any point, even after a restart.
- Cancelling sets a flag the job's event sink checks: the job stops at its next event.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from codesift.ask import AskAnswer
from codesift.backends import Backend, BackendPool
from codesift.backends.models import DEFAULT_MODEL, MODELS, resolve_model
from codesift.cli.common import policies_from_flags, settings
from codesift.errors import CodesiftError, UsageError
from codesift.events import Event, StageFinished
from codesift.execute.cached import Mapper, run_all
from codesift.extract import group
from codesift.interactive import Session, show
from codesift.pipeline import (
    SolveConfig,
    asks_for_tests,
    filter_groups,
    selection_pool,
    solve,
    written_tests,
)
from codesift.policies import parse_policies
from codesift.problems import parse_problem
from codesift.records import Answer, Completion, Policy, Problem, Record, digest
from codesift.select import SelectConfig
from codesift.serve.api import (
    AddTest,
    ChooseOutput,
    Clusters,
    ClustersView,
    ClusterView,
    DisagreementView,
    Feedback,
    GiveHint,
    JobDone,
    JobList,
    JobView,
    ProgramVerdicts,
    SolveRequest,
    StatusChanged,
    Verdicts,
)
from codesift.store import Store
from codesift.store_jobs import UNFINISHED, JobStatus, StoredJob

log = logging.getLogger(__name__)
FEEDBACK: TypeAdapter[Feedback] = TypeAdapter(Feedback)
SESSIONS = 32  # interactive sessions kept in memory; older ones are rebuilt from the store when asked for


class QueueFull(CodesiftError):
    """More jobs are waiting than the service queues (HTTP 429)."""


class JobNotFound(CodesiftError):
    """No job with that id (HTTP 404)."""


class JobConflict(CodesiftError):
    """The job is not in a state that allows this (HTTP 409)."""


class _Cancelled(Exception):
    """Raised by a job's event sink after DELETE: unwinds the pipeline at its next event."""


class _Stopping(Exception):
    """Raised by a job's event sink when the service shuts down: the job stays queued for the next start."""


class ServeConfig(BaseModel):
    """How `codesift serve` runs; every field is a flag of the command."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: Path = Path(".codesift/serve.sqlite")
    model: str = DEFAULT_MODEL
    backend: Literal["embedded", "openai"] = "embedded"
    base_url: str | None = None
    api: Literal["chat", "completion"] = "completion"
    workers: int = Field(default=2, ge=1)
    queue: int = Field(default=16, ge=0)
    max_samples: int = Field(default=64, ge=1)
    # Model-written tests for requests that do not say (chat requests never do); 0 turns them off.
    test_writers: int = Field(default=1, ge=0)
    sandbox: str = "auto"
    # Benchmark runs shown on the web page (run dirs of `codesift bench`, or their results as NAME.json).
    runs: Path | None = None
    exec_workers: int = Field(default=2, ge=1)

    def offered_models(self) -> tuple[str, ...]:
        """The models a request may name: the default, and (embedded) every registry model."""
        extra = tuple(MODELS) if self.backend == "embedded" else ()
        return tuple(dict.fromkeys((self.model, *extra)))


class _Locked:
    """A backend whose every call holds its model's lock: one sampling call per model at a time."""

    def __init__(self, backend: Backend, lock: threading.Lock) -> None:
        self._backend, self._lock = backend, lock

    def complete(self, prompt: Any, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        with self._lock:
            return self._backend.complete(prompt, seeds, policy)


class ModelLocks:
    """`backend_for` with one lock per (backend, model), whichever job asks."""

    def __init__(self, backend_for: Callable[[Policy], Backend]) -> None:
        self._backend_for = backend_for
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, policy: Policy) -> Backend:
        with self._guard:
            lock = self._locks.setdefault((policy.backend, policy.model), threading.Lock())
        return _Locked(self._backend_for(policy), lock)


class _Run:
    """A job's live state in this process: its numbered events, its cancel flag, its session."""

    def __init__(self, job_id: str, next_seq: int) -> None:
        self.job_id = job_id
        self.seq = next_seq
        self.cancelled = False
        self.finished = False
        self.session: Session | None = None
        self.lock = threading.RLock()


class Service:
    """Jobs in, answers and events out; `close` leaves unfinished jobs queued for the next start."""

    def __init__(
        self,
        config: ServeConfig,
        *,
        backend_for: Callable[[Policy], Backend] | None = None,
        executor: Mapper | None = None,
    ) -> None:
        self.config = config
        self.store = Store(config.store)
        self._owned: list[Any] = []
        if executor is None:
            from codesift.execute import make_executor

            executor = make_executor(workers=config.exec_workers, sandbox=config.sandbox)
            self._owned.append(executor)
        self.executor = executor
        self.isolation: str = getattr(executor, "isolation", "unknown")
        if backend_for is None:
            pool = BackendPool()
            self._owned.append(pool)
            backend_for = pool
        self.backend_for = ModelLocks(backend_for)
        self._runs: dict[str, _Run] = {}
        self._runs_lock = threading.Lock()
        self._sessions: OrderedDict[str, None] = OrderedDict()  # jobs whose session is in memory, oldest first
        self._sessions_lock = threading.Lock()  # its own lock: taken while a job's lock is held
        self._queue: deque[str] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        for job in reversed(self.store.jobs.recent(UNFINISHED)):
            self.store.jobs.set_status(job.id, "queued")
            self._queue.append(job.id)
        self._threads = [
            threading.Thread(target=self._work, name=f"codesift-job-{i}", daemon=True) for i in range(config.workers)
        ]
        for t in self._threads:
            t.start()

    # --- submitting ---------------------------------------------------------------------------------------

    def job_settings(self, request: SolveRequest) -> tuple[Problem, SolveConfig]:
        """The problem (its id keyed by content and settings, so jobs never share samples by accident) and config."""
        model = request.model or self.config.model
        if model not in self.config.offered_models():
            offered = ", ".join(self.config.offered_models())
            raise UsageError(f"model {model!r} is not offered here; use one of {offered}")
        if request.samples > self.config.max_samples:
            raise UsageError(f"samples {request.samples} is above this service's limit of {self.config.max_samples}")
        name = Path(request.filename).name or "problem.py"
        problem = parse_problem(request.problem, name, request.task)
        policies = (
            self._policies(request.policies, model)
            if request.policies
            else policies_from_flags(
                None, model, request.temperature, request.prompt, self.config.backend, self.config.base_url,
                request.max_tokens, self.config.api,
            )
        )  # fmt: skip
        config = settings(
            SolveConfig, "request", policies=policies, samples=request.samples, seed=request.seed,
            submissions=request.submissions,
            test_writers=self.config.test_writers if request.test_writers is None else request.test_writers,
            repair_tokens=request.repair_tokens, select=settings(SelectConfig, "select", **request.select),
        )  # fmt: skip
        key = digest(problem.model_dump_json() + config.model_dump_json())[:10]
        return problem.model_copy(update={"id": f"{problem.id}-{key}"}), config

    def _policies(self, entries: list[dict[str, Any]], model: str) -> tuple[Policy, ...]:
        """A request's family of policies, on the service's backend and offered models only."""
        for entry in entries:
            if {"backend", "base_url", "api"} & set(entry):
                raise UsageError("policies: backend, base_url and api are the service's; leave them out")
        defaults = {"model": model, "backend": self.config.backend, "base_url": self.config.base_url}
        policies = parse_policies({"policy": entries, "defaults": defaults | {"api": self.config.api}}, "policies")
        for policy in policies:
            if policy.model not in self.config.offered_models():
                offered = ", ".join(self.config.offered_models())
                raise UsageError(f"policies: model {policy.model!r} is not offered here; use one of {offered}")
        return policies

    def _check_limits(self, model: str, samples: int) -> None:
        if model not in self.config.offered_models():
            offered = ", ".join(self.config.offered_models())
            raise UsageError(f"model {model!r} is not offered here; use one of {offered}")
        if samples > self.config.max_samples:
            raise UsageError(f"samples {samples} is above this service's limit of {self.config.max_samples}")
        if self.config.backend == "embedded":
            resolve_model(model)  # a missing model fails the request, not the job later

    def _enqueue(self, kind: str, request: Record, problem: Problem) -> JobView:
        """Store the job, then queue it (or refuse it: QueueFull)."""
        with self._cond:
            if len(self._queue) >= self.config.queue:
                raise QueueFull(
                    f"the queue is full ({len(self._queue)} jobs waiting, limit {self.config.queue}); retry later"
                )
            job = StoredJob(
                id=uuid.uuid4().hex[:12], kind=kind, status="queued", request=request.model_dump(mode="json"),
                problem=problem,
            )  # fmt: skip
            self.store.jobs.add(job)
            self._emit(job.id, StatusChanged(status="queued"))
            self._queue.append(job.id)
            self._cond.notify()
        return self.view(job.id)

    def ask(self, filename: str, content: bytes, fields: dict[str, Any]) -> JobView:
        """Queue a question about an uploaded data file (`codesift.ask`)."""
        from codesift.serve import ask

        model = fields.pop("model", None) or self.config.model
        path = ask.keep_upload(self.config.store.parent / "uploads", filename, content)
        request = settings(ask.AskRequest, "ask", data=str(path), model=model, **fields)
        self._check_limits(model, request.samples)
        table, question, _ = ask.prepare(request, self.config.backend, self.config.base_url, self.config.api)
        return self._enqueue("ask", request, ask.problem_of(table, question))

    def submit(self, request: SolveRequest, kind: str = "solve") -> JobView:
        # The service's defaults are written into the stored request: a restart with other defaults resumes
        # the job as it was asked, on its stored samples.
        writers = self.config.test_writers if request.test_writers is None else request.test_writers
        request = request.model_copy(update={"model": request.model or self.config.model, "test_writers": writers})
        problem, config = self.job_settings(request)
        for policy in config.policies:
            self._check_limits(policy.model, request.samples)
        return self._enqueue(kind, request, problem)

    def queued(self) -> int:
        with self._cond:
            return len(self._queue)

    # --- reading ------------------------------------------------------------------------------------------

    def _job(self, job_id: str) -> StoredJob:
        job = self.store.jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r}; GET /v1/jobs lists them")
        return job

    def _view(self, job: StoredJob) -> JobView:
        return JobView(
            id=job.id, kind=job.kind, status=job.status, problem_id=job.problem.id,
            model=job.request.get("model") or self.config.model, answer=job.answer, ask=_ask_answer(job),
            error=job.error,
            candidates=self.store.jobs.candidate_count(job.problem.id), created=job.created, updated=job.updated,
        )  # fmt: skip

    def status(self, job_id: str) -> JobStatus:
        """The job's status alone (cheap enough to poll)."""
        return self._job(job_id).status

    def view(self, job_id: str) -> JobView:
        return self._view(self._job(job_id))

    def jobs(self, limit: int = 100) -> JobList:
        return JobList(jobs=tuple(self._view(j) for j in self.store.jobs.recent(limit=limit)))

    def events(self, job_id: str, after: int = -1) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
        """Events numbered above `after`, and whether the run has ended (no more will come).

        The status is read before the events: a job's done event is written before its status changes,
        so "ended" here means every event of the run is in the list or was sent before.
        """
        ended = self._job(job_id).status not in UNFINISHED
        return self.store.jobs.events(job_id, after), ended

    # --- control ------------------------------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobView:
        job = self._job(job_id)
        if job.status not in UNFINISHED:
            raise JobConflict(f"job {job_id} is already {job.status}; only queued or running jobs can be cancelled")
        with self._cond:
            self._run(job_id).cancelled = True
            if job_id in self._queue:
                self._queue.remove(job_id)
                self._finish(job_id, "cancelled", None)
        return self.view(job_id)

    def close(self, timeout: float = 60.0) -> None:
        """Stop taking work; running jobs stop at their next event and stay queued in the store.

        The store closes only once every worker has stopped: a job inside a long model call reaches its next event
        later, and it then writes its status back. A worker still busy after `timeout` keeps the store open (it is
        a daemon thread: it ends with the process)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        busy = [t.name for t in self._threads if t.is_alive()]
        if busy:
            log.warning("closing with %s still busy; the run store stays open for them", ", ".join(busy))
            return
        for owned in self._owned:
            owned.close()
        self.store.close()

    # --- the interactive loop -----------------------------------------------------------------------------

    def _session(self, job: StoredJob, run: _Run) -> Session:
        """The job's session (rebuilt from the store when it is not in memory); only the latest few stay."""
        if run.session is None:
            run.session = self._settle(job)
        self._remember(run)
        return run.session

    def _remember(self, run: _Run) -> None:
        with self._sessions_lock:
            self._sessions[run.job_id] = None
            self._sessions.move_to_end(run.job_id)
            while len(self._sessions) > SESSIONS:
                oldest, _ = self._sessions.popitem(last=False)
                self._runs[oldest].session = None

    def _solve_job(self, job_id: str) -> StoredJob:
        job = self._job(job_id)
        if job.kind == "ask":
            raise JobConflict(f"job {job_id} answers a question about data; clusters and feedback are for solve jobs")
        return job

    def clusters(self, job_id: str) -> ClustersView:
        job = self._solve_job(job_id)
        if job.status != "done":
            raise JobConflict(f"job {job_id} is {job.status}; clusters exist once it is done")
        run = self._run(job_id)
        with run.lock:
            return _clusters_view(self._session(job, run), job.answer)

    def feedback(self, job_id: str, item: Feedback) -> ClustersView | JobView:
        """Apply the user's answer; a hint re-queues the job (it samples again) and returns its view."""
        job = self._solve_job(job_id)
        if job.status != "done":
            raise JobConflict(f"job {job_id} is {job.status}; feedback is taken once it is done")
        if isinstance(item, GiveHint):
            with self._cond:
                if len(self._queue) >= self.config.queue:
                    raise QueueFull(f"the queue is full ({len(self._queue)} jobs waiting); retry the hint later")
                self.store.jobs.add_feedback(job_id, item.model_dump(mode="json"))
                self._run(job_id).session = None
                self.store.jobs.set_status(job_id, "queued")
                self._emit(job_id, StatusChanged(status="queued"))
                self._queue.append(job_id)
                self._cond.notify()
            return self.view(job_id)
        run = self._run(job_id)
        with run.lock:
            session = self._session(job, run)
            _apply(session, item)
            self.store.jobs.add_feedback(job_id, item.model_dump(mode="json"))
            answer = _answer_of(session, job.answer)
            if answer is not None:
                self.store.jobs.set_answer(job_id, answer)
            view = _clusters_view(session, answer)
            self._emit(job_id, Clusters(view=view))
        return view

    # --- running ------------------------------------------------------------------------------------------

    def _run(self, job_id: str) -> _Run:
        with self._runs_lock:
            run = self._runs.get(job_id)
            if run is None:
                stored = self.store.jobs.events(job_id)
                run = self._runs[job_id] = _Run(job_id, stored[-1][0] + 1 if stored else 0)
            return run

    def _emit(self, job_id: str, event: Record) -> None:
        run = self._run(job_id)
        with run.lock:
            self.store.jobs.add_event(job_id, run.seq, event.model_dump(mode="json"))
            run.seq += 1

    def _finish(self, job_id: str, status: Literal["done", "failed", "cancelled"], error: str | None) -> None:
        """The done event goes out before the status changes, so a stream never ends without it."""
        job = self.store.jobs.get(job_id)
        self._emit(job_id, JobDone(status=status, answer=job.answer if job else None, error=error))
        self.store.jobs.set_status(job_id, status, error)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job_id = self._queue.popleft()
            self._execute(job_id)

    def _execute(self, job_id: str) -> None:
        job = self.store.jobs.get(job_id)
        run = self._run(job_id)
        if job is None:
            return
        if run.cancelled:  # cancelled between leaving the queue and starting
            self._finish(job_id, "cancelled", None)
            return
        self.store.jobs.set_status(job_id, "running")
        self._emit(job_id, StatusChanged(status="running"))
        try:
            if job.kind == "ask":
                from codesift.serve import ask

                result = ask.run(job, self, self._sink(job))
                self.store.jobs.set_result(job_id, result.model_dump(mode="json"))
                self._finish(job_id, "done", None)
                return
            session = self._settle(job, self._sink(job))
        except _Stopping:
            self.store.jobs.set_status(job_id, "queued")
            return
        except _Cancelled:
            self._finish(job_id, "cancelled", None)
            return
        except CodesiftError as e:
            self._finish(job_id, "cancelled" if run.cancelled else "failed", None if run.cancelled else str(e))
            return
        except Exception as e:  # a bug: the job fails with the error's one line, the service stays up
            if run.cancelled:  # what failed was a job already cancelled: it ends as the user asked
                self._finish(job_id, "cancelled", None)
                return
            log.exception("job %s failed", job_id)
            self._finish(job_id, "failed", f"internal error: {type(e).__name__}: {' '.join(str(e).split())}")
            return
        with run.lock:
            run.session = session
        self._remember(run)
        answer = self.store.jobs.get(job_id)
        self._emit(job_id, Clusters(view=_clusters_view(session, answer.answer if answer else None)))
        self._finish(job_id, "done", None)

    def _sink(self, job: StoredJob) -> Callable[[Event], None]:
        run = self._run(job.id)

        def sink(event: Event) -> None:
            if self._stopping:
                raise _Stopping
            if run.cancelled:
                raise _Cancelled
            self._emit(job.id, event)
            if isinstance(event, StageFinished) and event.stage == "run examples":
                self._emit(job.id, self._verdicts(job.problem))

        return sink

    def _verdicts(self, problem: Problem) -> Verdicts:
        """Every distinct program's verdicts on the visible examples, read back from the store's executions."""
        programs = []
        for g in group(self.store.candidates(problem.id)):
            runs = [self.store.execution(g.program, t.key) for t in problem.examples]
            statuses = tuple(r.status if r else "not run" for r in runs)
            programs.append(ProgramVerdicts(program=g.program, votes=g.votes, statuses=statuses, code=g.code))
        return Verdicts(examples=tuple(t.input for t in problem.examples), programs=tuple(programs))

    def _settle(self, job: StoredJob, sink: Callable[[Event], None] | None = None) -> Session:
        """Solve (resuming from the store), then replay the user's feedback; the job's answer is updated."""
        request = SolveRequest.model_validate(job.request)
        problem, config = job.problem, self.job_settings(request)[1]
        answer, _ = solve(
            problem, config, executor=self.executor, store=self.store, backend_for=self.backend_for, events=sink
        )
        groups = group(self.store.candidates(problem.id))
        results = run_all(groups, problem.examples, self.executor, self.store, problem.entry_point)
        passing, _ = filter_groups(problem, groups, results)
        pool, _ = selection_pool(problem, passing, groups, results)
        written = written_tests(problem, config, self.store, self.backend_for) if asks_for_tests(config, pool) else None
        session = Session(
            problem, pool, executor=self.executor, config=config.select, submissions=config.submissions,
            model_tests=written.tests if written else (),
        )  # fmt: skip
        hints = 0
        for raw in job.feedback:
            item = FEEDBACK.validate_python(raw)
            if isinstance(item, GiveHint):
                hints += 1
                hinted = session.hint(item.text).model_copy(update={"id": f"{problem.id}+hint{hints}"})
                resampled = config.model_copy(update={"seed": config.seed + 10_000 * hints})
                _, again = solve(
                    hinted, resampled, executor=self.executor, store=self.store, backend_for=self.backend_for,
                    events=sink,
                )  # fmt: skip
                session.extend([g for c in again.clusters for g in c.groups])
            else:
                _apply(session, item)
        final = _answer_of(session, answer)
        if final is not None:
            self.store.jobs.set_answer(job.id, final)
        return session


def _ask_answer(job: StoredJob) -> AskAnswer | None:
    return AskAnswer.model_validate(job.result) if job.kind == "ask" and job.result is not None else None


def _apply(session: Session, item: ChooseOutput | AddTest | GiveHint) -> None:
    if isinstance(item, ChooseOutput):
        session.choose(item.probe, item.behaviour)
    elif isinstance(item, AddTest):
        session.add_test(item.test)


def _answer_of(session: Session, answer: Answer | None) -> Answer | None:
    """The job's answer with the session's submissions (the user's constraints applied)."""
    if answer is None:
        return None
    selection = session.selection
    return answer.model_copy(update={"submissions": selection.submissions, "clusters": len(selection.clusters)})


def _clusters_view(session: Session, answer: Answer | None, top: int = 4) -> ClustersView:
    d = session.disagreement(top)
    clusters = []
    for i, c in enumerate(session.selection.clusters):
        b = d.behaviours[i] if d is not None and i < len(d.behaviours) else None
        clusters.append(
            ClusterView(
                rank=i + 1,
                samples=c.samples,
                programs=len(c.groups),
                score=c.score,
                code=c.groups[0].code,
                behaviour=b,
                shown=show(b) if b is not None else None,
            )
        )
    disagreement = (
        None
        if d is None
        else DisagreementView(probe=d.probe, behaviours=d.behaviours, shown=tuple(show(b) for b in d.behaviours))
    )
    separating = answer.separating_inputs if answer else ()
    return ClustersView(clusters=tuple(clusters), disagreement=disagreement, separating_inputs=separating)
