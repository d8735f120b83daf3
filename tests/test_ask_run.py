"""Programs run in the real sandbox against a real data file: answers, tracebacks, figures, and the retry prompt."""

import pytest

from codesift.ask.program import run_candidates, tool_executor
from codesift.ask.prompt import retry_prompt
from codesift.ask.question import make_question
from codesift.ask.table import load_table
from codesift.records import Candidate
from codesift.store import Store

HEAD = "import pandas as pd\nimport numpy as np\n\ndf = pd.read_csv('sales.csv')\n"


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "sales.csv"
    path.write_text("region,amount\nNorth,10\nSouth,30\nNorth,20\nSouth,50\n")
    return load_table(path)


@pytest.fixture(scope="module")
def executor(table):
    with tool_executor([table.path], timeout=5) as ex:
        assert "tool: " in ex.isolation
        yield ex


def candidate(body: str, seed: int = 0, logprob: float = -0.1) -> Candidate:
    code = HEAD + body
    return Candidate(problem_id="q", policy="p", seed=seed, completion=body, code=code, prompt_tokens=10,
                     completion_tokens=5, mean_logprob=logprob, seconds=0.1)  # fmt: skip


PROGRAMS = {
    "answered": "m = df.groupby('region')['amount'].mean()\nprint(f'@answer[{m.idxmax()}]')\n",
    "error": "print(df['price'].sum())\n",
    "no-answer": "print('the answer is South')\n",
    "format": "print('@other[1]')\n",
    "timeout": "while True:\n    pass\n",
}


def test_each_outcome_is_read_from_the_run(tmp_path, executor, table):
    question = make_question("Which region has the highest mean amount?")
    cands = [candidate(body, seed=i) for i, body in enumerate(PROGRAMS.values())]
    with Store(tmp_path / "s.sqlite") as store:
        attempts = run_candidates(cands, question, table, executor, store)
    by_status = {a.status: a for a in attempts}
    assert list(by_status) == list(PROGRAMS)
    assert by_status["answered"].values == {"answer": "South"}
    assert by_status["answered"].key(question) == (("answer", "south"),)
    error = by_status["error"].error
    assert "KeyError" in error and 'File "program.py", line 5' in error and "df['price']" in error
    assert by_status["no-answer"].output.strip() == "the answer is South"
    assert by_status["format"].values == {"other": "1"} and by_status["format"].key(question) is None


def test_figures_come_back_whether_saved_or_left_open(executor, table):
    question = make_question("Plot the amounts")
    saved = candidate("import matplotlib.pyplot as plt\ndf.plot(y='amount')\nplt.savefig('figure.png')\n"
                      "print('@answer[figure.png]')\n")  # fmt: skip
    left_open = candidate("import matplotlib.pyplot as plt\nplt.bar(df['region'], df['amount'])\n", seed=1)
    attempts = run_candidates([saved, left_open], question, table, executor, None)
    assert [f.name for f in attempts[0].figures] == ["figure.png"] and attempts[0].answered
    assert [f.name for f in attempts[1].figures] == ["figure-1.png"] and attempts[1].status == "no-answer"
    for a in attempts:
        assert a.figures[0].content().startswith(b"\x89PNG")


def test_the_data_file_is_read_only_and_runs_are_cached(tmp_path, executor, table):
    question = make_question("Total amount?")
    writer = candidate("df.head(0).to_csv('sales.csv')\nprint('@answer[0]')\n")
    reader = candidate("print(f'@answer[{len(df)}]')\n", seed=1)
    with Store(tmp_path / "s.sqlite") as store:
        first = run_candidates([writer, reader], question, table, executor, store)
        runs = store.execution_count()
        again = run_candidates([writer, reader], question, table, executor, store)
        assert store.execution_count() == runs == 2
    assert first[0].status == "error" and "Read-only file system" in first[0].error
    assert first[1].values == {"answer": "4"}
    assert again == first
    assert load_table(table.path).rows == 4


def test_retry_prompt_shows_the_program_and_its_error(tmp_path, executor, table):
    question = make_question("Total price?")
    (failed,) = run_candidates([candidate(PROGRAMS["error"])], question, table, executor, None)
    prompt = retry_prompt(table, question, failed, 20)
    roles = [role for role, _ in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert "df['price'].sum()" in prompt.messages[2][1]
    assert "KeyError" in prompt.messages[3][1] and "corrected program" in prompt.messages[3][1]
    assert prompt.prefill.endswith("df = pd.read_csv('sales.csv')\n")


def test_answer_lines_written_as_statements_are_printed_and_the_attempt_shows_what_ran(tmp_path, executor, table):
    """The shapes the 1.5B model wrote on DABench (answer line as a statement, inside print, two on a line)."""
    question = make_question("Mean amount per region?", format="@north[mean] @south[mean]")
    bodies = [
        "m = df.groupby('region')['amount'].mean()\n@north[round(m['North'], 1)]\n@south[m['South']]\n",
        "m = df.groupby('region')['amount'].mean()\nprint(@north[m['North']]) \n@south[m.loc['South']]\n",
        "m = df.groupby('region')['amount'].mean()\n@north[m['North']] @south[m['South']]\n",
        "@north[@m['North']]\n",  # not Python once read as a value either: runs as written, fails as before
    ]
    with Store(tmp_path / "s.sqlite") as store:
        attempts = run_candidates(
            [candidate(b, seed=i) for i, b in enumerate(bodies)], question, table, executor, store
        )
    assert [a.values for a in attempts[:3]] == [{"north": "15.0", "south": "40.0"}] * 3
    assert all(a.status == "answered" and 'print("@north[", ' in a.candidate.code for a in attempts[:3])
    assert attempts[3].status == "error" and "SyntaxError" in attempts[3].error
    assert attempts[3].candidate.code == HEAD + bodies[3]
