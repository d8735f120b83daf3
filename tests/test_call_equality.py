"""Call tests compare as the benchmarks' `==` does for stdlib containers, without trusting a program's own __eq__."""

from codesift.execute import make_executor
from codesift.records import Test

EXPECTED = Test(kind="call", input="'aab'", output="{'a': 2, 'b': 1}")


def test_stdlib_dict_subclasses_equal_a_dict_literal():
    code = "from collections import Counter, defaultdict\ndef f(s):\n    return Counter(s)\n"
    forged = "class Any:\n    def __eq__(self, other):\n        return True\ndef f(s):\n    return Any()\n"
    with make_executor(workers=1) as ex:
        assert ex.run(code, [EXPECTED])[0].status == "passed"
        assert ex.run(code.replace("Counter(s)", "{'a': 1}"), [EXPECTED])[0].status == "failed"
        assert ex.run(forged, [EXPECTED])[0].status == "failed"
