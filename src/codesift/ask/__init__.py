"""`ask`: answer a question about a data file by writing pandas programs, running them on the data in the
sandbox, feeding errors back, and clustering the programs by the answer they print.

    table = load_table("sales.csv")
    question = make_question("Which region had the highest mean order value?")
    answer, attempts = ask(table, question, AskConfig(), executor=ex, store=store, backend_for=pool)
"""

from codesift.ask.pipeline import AskAnswer, AskConfig, ask
from codesift.ask.question import Question, make_question
from codesift.ask.table import Table, load_table

__all__ = ["AskAnswer", "AskConfig", "Question", "Table", "ask", "load_table", "make_question"]
