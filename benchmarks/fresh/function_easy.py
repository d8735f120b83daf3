"""Easy function-style fresh problems (invented for codesift; see codesift.bench.fresh)."""

from __future__ import annotations

from _gen import args, rng

PROBLEMS = []

# --- fold_digits -----------------------------------------------------------------------------------
r = rng("fold_digits")
PROBLEMS.append(
    dict(
        id="fresh/fold_digits",
        level="easy",
        prompt='''def fold_digits(n: int) -> int:
    """Fold a non-negative integer down to a single digit.

    One fold replaces the number by the alternating sum of its decimal digits, read from the most
    significant digit: + first digit - second digit + third digit - ..., and then takes the absolute
    value of that sum. Folds repeat until a single digit remains (a single digit is returned as is).

    >>> fold_digits(918)
    5
    >>> fold_digits(7)
    7
    >>> fold_digits(1090)
    1
    """
''',
        reference="""def fold_digits(n):
    while n >= 10:
        digits = str(n)
        n = abs(sum(int(d) if i % 2 == 0 else -int(d) for i, d in enumerate(digits)))
    return n
""",
        tests=[args(x) for x in [0, 9, 10, 11, 19, 91, 100, 909, 918, 1090, 10**18, 99999999999, 123456789]]
        + [args(r.randrange(10**30)) for _ in range(4)],
    )
)

# --- trim_silence ------------------------------------------------------------------------------------
r = rng("trim_silence")
PROBLEMS.append(
    dict(
        id="fresh/trim_silence",
        level="easy",
        prompt='''def trim_silence(samples: list[int], threshold: int) -> list[int]:
    """Cut the quiet lead-in and tail off an audio clip.

    A sample is quiet when its absolute value is strictly below `threshold`. Remove the quiet samples at
    the start and at the end of the clip; quiet samples between two loud ones stay where they are.
    A clip that is quiet everywhere becomes empty.

    >>> trim_silence([0, 1, -5, 0, 2, 7, 1, 0], 2)
    [-5, 0, 2, 7]
    >>> trim_silence([1, -1, 0], 3)
    []
    """
''',
        reference="""def trim_silence(samples, threshold):
    loud = [i for i, s in enumerate(samples) if abs(s) >= threshold]
    if not loud:
        return []
    return samples[loud[0] : loud[-1] + 1]
""",
        tests=[
            args([], 1),
            args([5], 5),
            args([4], 5),
            args([-5, 0, 0, 5], 5),
            args([0, 0, 3, 0, 0], 0),
            args([1, 2, 3], 0),
            args([0, -1, 1, 0], 1),
            args([0, 2, 0, 0, -2, 0, 1], 2),
            args([-3, 0, 0, 0], 3),
            args([9, -9, 9], 10),
            args([r.randint(-3, 3) for _ in range(200)], 3),
            args([r.randint(-20, 20) for _ in range(50)], 15),
        ],
    )
)

# --- kettle_refills ---------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/kettle_refills",
        level="easy",
        prompt='''def kettle_refills(cups: list[int], capacity: int) -> int:
    """How many times the kettle is filled while pouring tea for a queue of guests.

    The kettle starts empty and is always filled to exactly `capacity` ml. Guests are served in order;
    guest i wants cups[i] ml poured from a single kettle-full (a cup is never split between two fills).
    Whenever the water left is not enough for the next cup, the leftover is thrown away and the kettle
    is filled again. Return the number of fills, or -1 if some cup is larger than the kettle.

    >>> kettle_refills([300, 300, 300], 700)
    2
    >>> kettle_refills([], 500)
    0
    >>> kettle_refills([200, 600], 500)
    -1
    """
''',
        reference="""def kettle_refills(cups, capacity):
    if any(c > capacity for c in cups):
        return -1
    fills, left = 0, 0
    for c in cups:
        if c > left:
            fills += 1
            left = capacity
        left -= c
    return fills
""",
        tests=[
            args([], 1),
            args([0, 0], 5),
            args([5], 5),
            args([5, 5], 5),
            args([5, 6], 5),
            args([1, 4, 1, 4], 5),
            args([3, 3, 3, 3], 10),
            args([250, 250, 250, 250, 1], 1000),
            args([700, 100, 700, 100], 800),
            args([100, 700, 100, 700], 800),
            args([1] * 10000, 7),
            args([2, 3, 1, 5, 4] * 1000, 6),
        ],
    )
)

# --- bus_fare -------------------------------------------------------------------------------------------
r = rng("bus_fare")
PROBLEMS.append(
    dict(
        id="fresh/bus_fare",
        level="easy",
        prompt='''def bus_fare(ages: list[int]) -> int:
    """Total fare in coins for a group boarding the village bus together.

    Children under 5 and passengers aged 65 or more ride free, passengers aged 5 to 17 pay 2 coins and
    everybody else pays the full fare of 4 coins. Because the driver likes groups, every fourth full-fare
    passenger of the group (the 4th, 8th, ... in boarding order) rides free as well.

    >>> bus_fare([30, 4, 12, 70])
    6
    >>> bus_fare([20, 21, 22, 23, 24])
    16
    """
''',
        reference="""def bus_fare(ages):
    total, full = 0, 0
    for age in ages:
        if age < 5 or age >= 65:
            continue
        if age <= 17:
            total += 2
        else:
            full += 1
            if full % 4:
                total += 4
    return total
""",
        tests=[
            args([]),
            args([4]),
            args([5]),
            args([17]),
            args([18]),
            args([64]),
            args([65]),
            args([0, 100]),
            args([18, 5, 18, 5, 18, 5, 18]),
            args([30] * 8),
            args([30] * 9),
            args([r.randint(0, 90) for _ in range(40)]),
            args([r.randint(0, 90) for _ in range(1000)]),
        ],
    )
)

# --- weekday_after --------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/weekday_after",
        level="easy",
        prompt='''def weekday_after(start: str, days: int) -> str:
    """The weekday `days` days after `start` (before it when `days` is negative).

    Weekdays are written as three-letter English abbreviations with a capital first letter: Mon, Tue, Wed,
    Thu, Fri, Sat, Sun. `start` may be given in any letter case; the answer uses the capitalised form.

    >>> weekday_after("Mon", 3)
    'Thu'
    >>> weekday_after("sun", -1)
    'Sat'
    >>> weekday_after("FRI", 10)
    'Mon'
    """
''',
        reference="""def weekday_after(start, days):
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return names[(names.index(start.capitalize()) + days) % 7]
""",
        tests=[
            args("Mon", 0),
            args("mon", 7),
            args("Sun", 1),
            args("TUE", -2),
            args("wEd", -7),
            args("Thu", 10**12),
            args("Sat", -(10**12) - 3),
            args("Fri", 6),
            args("Sun", -13),
            args("Tue", 365),
        ],
    )
)

# --- alternate_merge -------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/alternate_merge",
        level="easy",
        prompt='''def alternate_merge(a: list, b: list) -> list:
    """Interleave two lists, one item from each in turn, starting with the LONGER list.

    When both lists have the same length, start with `a`. Once the shorter list runs out, the rest of the
    longer one follows in order.

    >>> alternate_merge([1, 2], ["x", "y", "z"])
    ['x', 1, 'y', 2, 'z']
    >>> alternate_merge([1, 2], [3, 4])
    [1, 3, 2, 4]
    """
''',
        reference="""def alternate_merge(a, b):
    first, second = (b, a) if len(b) > len(a) else (a, b)
    out = []
    for i in range(max(len(a), len(b))):
        if i < len(first):
            out.append(first[i])
        if i < len(second):
            out.append(second[i])
    return out
""",
        tests=[
            args([], []),
            args([], [1]),
            args([1], []),
            args([1, 2, 3], [9]),
            args([9], [1, 2, 3]),
            args(["a"], ["b"]),
            args([None, 0], [False, True, None]),
            args(list(range(5)), list(range(10, 20))),
            args(list(range(10, 20)), list(range(5))),
            args([[1], [2]], [[3]]),
            args(list(range(3000)), list(range(3000, 7000))),
        ],
    )
)

# --- is_zigzag -------------------------------------------------------------------------------------------
r = rng("is_zigzag")
PROBLEMS.append(
    dict(
        id="fresh/is_zigzag",
        level="easy",
        prompt='''def is_zigzag(nums: list[int]) -> bool:
    """True when consecutive differences strictly alternate in sign: up, down, up, ... or down, up, down, ...

    Two equal neighbours break the zigzag. Lists with fewer than two elements are zigzags, and so is any
    list of two different numbers.

    >>> is_zigzag([1, 3, 2, 5, 0])
    True
    >>> is_zigzag([1, 3, 5])
    False
    >>> is_zigzag([4, 4])
    False
    """
''',
        reference="""def is_zigzag(nums):
    diffs = [b - a for a, b in zip(nums, nums[1:])]
    if any(d == 0 for d in diffs):
        return False
    return all((x > 0) != (y > 0) for x, y in zip(diffs, diffs[1:]))
""",
        tests=[
            args([]),
            args([7]),
            args([1, 2]),
            args([2, 1]),
            args([3, 3]),
            args([5, 1, 5, 1, 5]),
            args([5, 1, 5, 1, 1]),
            args([1, 2, 1, 2, 3]),
            args([-1, -5, 0, -10, 10]),
            args([0, 1, 0, 1, 0, 1] * 5000),
            args([0, 1, 0, 1, 0, 1] * 5000 + [1]),
            args([r.randint(0, 3) for _ in range(6)]),
        ],
    )
)

# --- declined_withdrawals -------------------------------------------------------------------------------
r = rng("balance_after_fees")
PROBLEMS.append(
    dict(
        id="fresh/balance_after_fees",
        level="easy",
        prompt='''def balance_after_fees(transactions: list[int], fee: int) -> int:
    """Final balance of an account that starts at 0.

    A positive transaction is a deposit and always succeeds. A negative one is a withdrawal: it is
    declined (the balance does not change) when it would take the balance below zero, and every declined
    withdrawal is charged `fee`, which is always taken even if the balance goes negative.

    >>> balance_after_fees([100, -30, -80, 50], 5)
    115
    >>> balance_after_fees([-10, -10], 3)
    -6
    """
''',
        reference="""def balance_after_fees(transactions, fee):
    balance = 0
    for t in transactions:
        if t < 0 and balance + t < 0:
            balance -= fee
        else:
            balance += t
    return balance
""",
        tests=[
            args([], 5),
            args([0], 5),
            args([10, -10], 1),
            args([10, -11], 1),
            args([-1], 0),
            args([5, -3, -3], 2),
            args([5, -5, -1, 10, -9], 4),
            args([100, -30, -80, 50, -65, -1], 5),
            args([r.randint(-50, 50) for _ in range(300)], 3),
            args([r.randint(-100, 60) for _ in range(20000)], 1),
        ],
    )
)

# --- last_best_chunk -------------------------------------------------------------------------------------
r = rng("best_chunk")
PROBLEMS.append(
    dict(
        id="fresh/best_chunk",
        level="easy",
        prompt='''def best_chunk(nums: list[int], k: int) -> int:
    """Cut `nums` into consecutive chunks of `k` items (the last chunk may be shorter) and return the
    0-based index of the chunk with the largest sum. On a tie, the LAST such chunk wins. Return -1 for
    an empty list.

    >>> best_chunk([1, 2, 3, 4, 5], 2)
    1
    >>> best_chunk([5, 0, 2, 3, 1, 4], 2)
    2
    """
''',
        reference="""def best_chunk(nums, k):
    best, where = None, -1
    for i in range(0, len(nums), k):
        s = sum(nums[i : i + k])
        if best is None or s >= best:
            best, where = s, i // k
    return where
""",
        tests=[
            args([], 3),
            args([7], 1),
            args([7], 5),
            args([1, 1, 1], 1),
            args([-5, -1, -3], 1),
            args([3, 3, 6], 2),
            args([3, 3, 5], 2),
            args([0, 0, 0, 0], 3),
            args([r.randint(-9, 9) for _ in range(60)], 7),
            args([r.randint(-1000, 1000) for _ in range(50000)], 10),
        ],
    )
)

# --- odd_length_out -----------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/odd_length_out",
        level="easy",
        prompt='''def odd_length_out(words: list[str]) -> int:
    """Index of the only word whose length differs from all the others, or -1.

    Return the index when exactly one word has a different length and all the other words share one
    length. With fewer than three words nobody can tell which one is odd, so the answer is -1.

    >>> odd_length_out(["cat", "dog", "horse", "owl"])
    2
    >>> odd_length_out(["ab", "abc"])
    -1
    >>> odd_length_out(["a", "bb", "ccc"])
    -1
    """
''',
        reference="""def odd_length_out(words):
    if len(words) < 3:
        return -1
    lengths = [len(w) for w in words]
    for i, n in enumerate(lengths):
        rest = lengths[:i] + lengths[i + 1 :]
        if n != rest[0] and all(x == rest[0] for x in rest):
            return i
    return -1
""",
        tests=[
            args([]),
            args(["x"]),
            args(["x", "yy"]),
            args(["x", "y", "z"]),
            args(["xx", "y", "z"]),
            args(["x", "y", "zz"]),
            args(["aa", "bb", "c", "d"]),
            args(["ñu", "öl", "é", "ab"]),
            args(["", "a", "b", "c"]),
            args(["", "", "a"]),
            args(["abc"] * 3000 + ["ab"] + ["abc"] * 3000),
        ],
    )
)

# --- smallest_missing_label ---------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/first_free_column",
        level="easy",
        prompt='''def first_free_column(used: list[str]) -> str:
    """The first spreadsheet column name that is not in `used`.

    Columns are named A, B, ..., Z, AA, AB, ..., AZ, BA, ..., ZZ, AAA, ... in that order. Names in
    `used` may be in any order and letter case and may repeat; the answer is in capitals.

    >>> first_free_column(["A", "B", "D"])
    'C'
    >>> first_free_column([])
    'A'
    >>> first_free_column(["a", "C", "b"])
    'D'
    """
''',
        reference="""def first_free_column(used):
    taken = {u.upper() for u in used}
    n = 1
    while True:
        name, k = "", n
        while k:
            k, rem = divmod(k - 1, 26)
            name = chr(65 + rem) + name
        if name not in taken:
            return name
        n += 1
""",
        tests=[
            args([]),
            args(["B"]),
            args(["a"]),
            args(["A", "a", "A"]),
            args([chr(c) for c in range(65, 91)] + ["AA", "ab"]),
            args([chr(c) for c in range(65, 90)]),
            args(["AA", "AB"]),
            args(
                [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
                + [chr(c) for c in range(65, 91)]
            ),
            args([chr(c) for c in range(65, 91)] + [a + b for a in "ABC" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]),
            args(["Z", "Y", "X", "A", "C", "B"]),
        ],
    )
)

# --- collapse_repeats --------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/collapse_repeats",
        level="easy",
        prompt='''def collapse_repeats(sentence: str) -> str:
    """Remove stuttered words: a word equal to the word right before it, ignoring letter case, is dropped.

    Words are separated by whitespace; the result joins the kept words with single spaces. Of a run of
    repeated words the first one is kept with its own spelling. Punctuation belongs to the word, so
    "the" and "the," are different words.

    >>> collapse_repeats("the the cat sat sat SAT down")
    'the cat sat down'
    >>> collapse_repeats("Go go, go")
    'Go go, go'
    """
''',
        reference="""def collapse_repeats(sentence):
    kept, prev = [], None
    for w in sentence.split():
        if prev is None or prev.lower() != w.lower():
            kept.append(w)
        prev = w
    return " ".join(kept)
""",
        tests=[
            args(""),
            args("   "),
            args("a"),
            args("a a a a"),
            args("A a B b a"),
            args("  hello   HELLO\tworld\n world  "),
            args("ÉTÉ été Été x"),
            args("one, one one. one"),
            args("x y x y"),
            args(" ".join(["ping", "PING", "pong"] * 3000)),
        ],
    )
)

# --- countdown_runs ------------------------------------------------------------------------------------------
r = rng("countdowns")
PROBLEMS.append(
    dict(
        id="fresh/countdowns",
        level="easy",
        prompt='''def countdowns(nums: list[int]) -> int:
    """Count the countdowns in a list: contiguous runs k, k-1, ..., 2, 1 with k >= 2 that end at 1.

    Each 1 ends at most one countdown, the longest one ending there; a countdown may start in the middle
    of a longer decreasing run, e.g. 5, 3, 2, 1 holds one countdown (3, 2, 1).

    >>> countdowns([3, 2, 1, 0, 2, 1])
    2
    >>> countdowns([1, 1, 2])
    0
    """
''',
        reference="""def countdowns(nums):
    count = 0
    for i in range(1, len(nums)):
        if nums[i] == 1 and nums[i - 1] == 2:
            count += 1
    return count
""",
        tests=[
            args([]),
            args([1]),
            args([2, 1]),
            args([1, 2]),
            args([5, 3, 2, 1]),
            args([2, 1, 2, 1, 2, 1]),
            args([3, 2, 2, 1]),
            args([0, -1, 2, 1, 1]),
            args([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
            args([r.randint(0, 3) for _ in range(100)]),
            args([r.randint(0, 3) for _ in range(30000)]),
        ],
    )
)
