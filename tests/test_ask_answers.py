"""Answer lines, normalisation, clustering by value, and DABench's official scorer on hand-checked cases."""

import json

import pytest

from codesift.ask.answers import answer_key, answer_names, cluster_answers, implies_order, normalise, parse_answers
from codesift.ask.dabench import Score, correctness, is_equal, load_dabench, pick
from codesift.ask.question import QuestionError, make_question
from codesift.bench.tasks import BenchDataError


def test_answer_names_come_from_the_format_in_order():
    fmt = "@mean_fare_elderly[value]\n@mean_fare_child[value] where value is rounded; @mean_fare_elderly[again]"
    assert answer_names(fmt) == ("mean_fare_elderly", "mean_fare_child")
    assert answer_names("@monthly[{'month_1':avg_1, ..., 'month_12':avg_12}") == ("monthly",)  # a DABench format


def test_a_name_printed_twice_keeps_its_last_value():
    assert parse_answers("@x[1]\nnoise @y[a b]\n@x[2]") == {"x": "2", "y": "a b"}
    assert parse_answers("no answer here [1]") == {}


@pytest.mark.parametrize(
    ("a", "b"),
    [("0.21", "0.2100000001"), ("3", "3.0"), (" Switzerland ", "switzerland"), ("'Non-normal'", "non-normal"),
     ("b, a", "a,b"), ("[1, 2]", "2, 1"), ("Poor  fit", "poor fit")],
)  # fmt: skip
def test_equal_answers_normalise_alike(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(("a", "b"), [("0.21", "0.22"), ("positive", "negative"), ("a, b", "a, b, c"), ("1", "")])
def test_different_answers_stay_apart(a, b):
    assert normalise(a) != normalise(b)


def test_list_order_matters_only_when_the_question_implies_it():
    assert normalise("b, a", ordered=False) == normalise("a, b", ordered=False)
    assert normalise("b, a", ordered=True) != normalise("a, b", ordered=True)
    assert implies_order("List the top 3 countries in descending order")
    assert not implies_order("Which countries are outliers?")
    assert make_question("Sort the cities by population", format="@cities[c1, c2]").ordered


def test_largest_cluster_wins_and_ties_go_to_the_likelier():
    k1, k2 = (("x", "1"),), (("x", "2"),)
    clusters = cluster_answers([k1, k2, None, k2, k1], [-0.5, -0.1, -0.01, -0.2, -0.4])
    assert [c.key for c in clusters] == [k2, k1]  # 2 vs 2: k2's mean logprob -0.15 beats -0.45
    assert clusters[0].members == (1, 3) and clusters[1].members == (4, 0)  # likeliest member represents
    assert cluster_answers([k1, k1, k2], [None, None, -0.1])[0].key == k1  # size beats likelihood
    # among equals, a computed answer beats one the program spelled out (a forgotten f-string brace)
    assert cluster_answers([k1, k2], [-0.1, -0.9], [True, False])[0].key == k2


def test_answer_key_uses_every_required_name():
    assert answer_key({"a": "1.0"}, ("a", "b")) == (("a", "1"), ("b", ""))
    assert answer_key({"a": "1", "b": "x"}, ("a", "b")) == answer_key({"b": " X", "a": "1.00"}, ("a", "b"))


def test_a_format_without_an_answer_name_is_refused():
    with pytest.raises(QuestionError, match="names no answer"):
        make_question("How many rows?", format="just print it")
    with pytest.raises(QuestionError, match="empty"):
        make_question("  ")


# --- the official scorer (eval_closed_form.py), cases checked by hand against its code ---------------------


@pytest.mark.parametrize(
    ("response", "label", "equal"),
    [("34.65", "34.65", True), ("34.650", "34.65", True), ("34.6500001", "34.65", True), ("34.66", "34.65", False),
     ("Non-normal", "Non-normal", True), ("non-normal", "Non-normal", False), (" 34.65", "34.65", True),
     (None, "34.65", False), ("", "", True), ("1, 2018, 88.32", "1, 2018, 88.32", True), ("nan", "nan", True),
     ("inf", "1e309", False)],
)  # fmt: skip
def test_is_equal_matches_the_official_rule(response, label, equal):
    assert is_equal(response, label) is equal


def test_correctness_per_sub_answer_and_the_three_metrics():
    labels = (("mean", "1.50"), ("kind", "normal"), ("n", "3"))
    verdicts = correctness("text @mean[1.5] @kind[Normal] @n[3] @n[4]", labels)
    assert verdicts == [True, False, False]  # case matters; the last @n wins
    s = Score.of(verdicts)
    assert (s.abq, round(s.psaq, 4), s.right, s.total) == (0.0, 0.3333, 1.0, 3)
    assert Score.of(correctness("@mean[1.500000001]@kind[normal]@n[3.0]", labels)).abq == 1.0
    assert correctness("", labels) == [False, False, False]


def write_dabench(root):
    """A two-question DABench folder in the real format (the real data is CC BY-NC and stays outside the repo)."""
    (root / "dabench" / "tables").mkdir(parents=True)
    (root / "dabench" / "tables" / "t.csv").write_text("a,b\n1,x\n2,y\n4,x\n")
    questions = [
        {"id": 3, "question": "Mean of a?", "concepts": [], "constraints": "Round to 2 decimals.",
         "format": "@mean_a[value] where value is a number.", "file_name": "t.csv", "level": "easy"},
        {"id": 7, "question": "Most common b and its count?", "concepts": [], "constraints": "",
         "format": "@b[value]\n@count[n]", "file_name": "t.csv", "level": "hard"},
    ]  # fmt: skip
    labels = [{"id": 3, "common_answers": [["mean_a", "2.33"]]},
              {"id": 7, "common_answers": [["b", "x"], ["count", "2"]]}]  # fmt: skip
    (root / "dabench" / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (root / "dabench" / "labels.jsonl").write_text("".join(json.dumps(q) + "\n" for q in labels))


def test_dabench_loads_with_labels_apart_from_the_question(tmp_path):
    write_dabench(tmp_path)
    tasks = load_dabench(tmp_path)
    assert [t.id for t in tasks] == ["DABench/3", "DABench/7"]
    first = tasks[0]
    assert first.question.names == ("mean_a",) and first.question.constraints == "Round to 2 decimals."
    assert first.labels == (("mean_a", "2.33"),) and first.level == "easy"
    assert "2.33" not in first.question.model_dump_json()  # the label never enters what `ask` sees
    assert tasks[1].question.names == ("b", "count")
    assert [t.id for t in pick(tasks, None, 2, None)] == ["DABench/3"]
    assert [t.id for t in pick(tasks, "7,DABench/3", 1, None)] == ["DABench/7", "DABench/3"]
    with pytest.raises(BenchDataError, match=r"unknown problem id\(s\): 99 \(ids look like DABench/3\)"):
        pick(tasks, "99", 1, None)
    with pytest.raises(BenchDataError, match="not found"):
        load_dabench(tmp_path / "dabench")


def test_grade_scores_majority_filter_random_and_oracle(tmp_path):
    from codesift.ask.dabench import grade
    from codesift.ask.pipeline import AskAnswer
    from codesift.ask.program import Attempt
    from codesift.records import Candidate

    write_dabench(tmp_path)
    task = load_dabench(tmp_path)[1]  # labels b=x, count=2

    def attempt(status, values):
        c = Candidate(problem_id=task.id, policy="p", seed=0, completion="", code="", prompt_tokens=1,
                      completion_tokens=1, mean_logprob=None, seconds=0.5)  # fmt: skip
        return Attempt(candidate=c, status=status, values=values)

    wrong, right = {"b": "x", "count": "3"}, {"b": "x", "count": "2"}
    attempts = [attempt("answered", wrong), attempt("answered", wrong), attempt("answered", right),
                attempt("format", {"b": "x"}), attempt("error", {})]  # fmt: skip
    answer = AskAnswer(question_id=task.id, answer=wrong, response="@b[x]\n@count[3]", program="", agreement=2,
                       answered=3, alternatives=(), low_confidence=False, samples=5, errors_fed_back=1,
                       failures={"format": 1, "error": 1}, prompt_tokens=5, completion_tokens=5,
                       seconds=3.0)  # fmt: skip
    result = grade(task, answer, attempts)
    majority, random_pick, oracle = (result.scores[m] for m in ("majority", "filter_random", "oracle"))
    assert (majority.abq, majority.psaq, majority.right) == (0.0, 0.5, 1.0)
    assert (round(random_pick.abq, 4), round(random_pick.psaq, 4)) == (0.3333, 0.6667)  # over the 3 answered
    assert (oracle.abq, oracle.right) == (1.0, 2.0)
    assert result.model_seconds == 2.5 and "labels" not in result.model_dump()
