"""Records of the selection stage: its knobs and what comes out (the input is `extract.ProgramGroup`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesift.extract import ProgramGroup
from codesift.records import Scores, Submission, Test

STRESS_SIZE = 20_000  # elements: an O(n²) loop in Python needs minutes on it, O(n log n) a fraction of a second


class SelectConfig(BaseModel):
    """Knobs of selection; every signal can be switched off, which is how the ablations are run.

    The score of a cluster is log-linear so that ``w_size = w_codet = 1`` is CodeT's dual
    agreement (samples in the cluster times model tests it passes):
    ``w_size·ln(samples) + w_codet·ln(1 + model tests passed) + w_logprob·mean token logprob``. A cluster's tests
    passed are its best program's: its programs agree on every probe, but a model test whose input did not make it
    into the probes (`max_probes`) can still split them.

    ``agreement_power`` (None: off) replaces a cluster's own sample count by its *support*, the
    samples of every cluster weighted by the share of probes on which they behave alike, raised to
    this power (MBR-exec's soft agreement): right programs that differ only on an edge case still
    vote for each other, while a wrong behaviour shared by many samples keeps only its own votes.
    Off by default: with p = 1 it lost problems on held-out data (docs/RESULTS.md, "Ranking defaults").

    ``votes`` is what a cluster's size counts: ``"samples"`` (None, the default), or ``"programs"``, its
    *distinct* programs (`forms.canonical`: equal up to formatting, comments, docstrings, argument and return type
    hints and the renaming of the program's own names), so one memorised misreading sampled ten times counts once while
    several different programs that agree count each. Ties in it go to more samples (`rank.order`).

    ``test_weights`` (None: every model-written test counts 1) = ``"consensus"`` weights each model-written
    test by how far the clusters agree with it (`rank.consensus_weights`: the share of the pool's CodeT
    score held by the clusters passing it, iterated to a fixed point), and the CodeT term counts the weighted
    tests passed: a test that most high-agreement programs fail is probably wrong and counts little.

    Both new knobs default to None (not "samples" / "none") so that runs recorded before them still resume
    (`store.differences` reads None as absent). Both are off until full-set numbers support them.

    ``stress`` (None: off; default `STRESS_SIZE`) is the size of a scaled-up input (`stress.stress_tests`) that the
    programs of the first clusters to be submitted must finish within the time limit: the first that does stands
    for its cluster. It changes which program represents a behaviour, never which behaviour is chosen.

    ``ties`` decides between clusters of equal score and equal samples: ``"logprob"`` (the default), the cluster
    whose samples have the higher mean token log-probability (the model's own confidence, a classic ranking
    signal), then the shorter program; None, the shorter best program alone (arbitrary but deterministic). On
    scattered samples such ties are common (one sample each, equal model tests passed).

    Both became defaults in session 10: together they took the fresh problems from 13 to 15 of 17 solvable
    (1.5B, n = 20) and lost one HumanEval problem of 164 at most (docs/RESULTS.md, "Session 10"). A run dir
    made before then resumes with ``--select stress=none --select ties=none``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: bool = True
    mutations: bool = True
    typed: bool = True
    model_inputs: bool = True
    max_probes: int = Field(default=30, ge=0)
    float_digits: int = Field(default=6, ge=1)
    w_size: float = 1.0
    # Off by default: it lowered pass@1 on the reported HumanEval and MBPP runs and was neutral on data not seen
    # when that was found (docs/RESULTS.md, "Ranking defaults"); programs inside a cluster are still ordered by it.
    w_logprob: float = 0.0
    w_codet: float = 1.0
    agreement_power: float | None = Field(default=None, gt=0)
    votes: Literal["samples", "programs"] | None = None
    test_weights: Literal["consensus"] | None = None
    stress: int | None = Field(default=STRESS_SIZE, ge=1)
    ties: Literal["logprob"] | None = "logprob"
    seed: int = 0


class Cluster(BaseModel):
    """Programs that behaved identically on every probe input, best program first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    groups: tuple[ProgramGroup, ...]
    outputs: tuple[str, ...]
    tests_passed: int = 0
    scores: Scores = Scores()

    @property
    def samples(self) -> int:
        return sum(g.votes for g in self.groups)

    @property
    def score(self) -> float:
        return self.scores.total


class Selection(BaseModel):
    """Ordered submissions plus the evidence: clusters (best first) and the probes that told them apart."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submissions: tuple[Submission, ...]
    clusters: tuple[Cluster, ...]
    probes: tuple[Test, ...]
    separating: tuple[int, ...] = ()
    executions: int = 0

    @property
    def separating_inputs(self) -> tuple[str, ...]:
        return tuple(self.probes[i].input for i in self.separating)
