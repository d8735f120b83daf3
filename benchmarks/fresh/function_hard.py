"""Hard function-style fresh problems (invented for codesift; see codesift.bench.fresh)."""

from __future__ import annotations

from _gen import args, rng

PROBLEMS = []

# --- divisible_stretches -------------------------------------------------------------------------------
r = rng("divisible_stretches")
PROBLEMS.append(
    dict(
        id="fresh/divisible_stretches",
        level="hard",
        prompt='''def divisible_stretches(nums: list[int], k: int) -> int:
    """Count the contiguous stretches of at least TWO elements whose sum is divisible by k (k >= 1).

    Stretches are told apart by their positions, so equal stretches at different places count separately.
    Lists may hold up to 200000 numbers, so the count must be found without trying every stretch.

    >>> divisible_stretches([1, 2, 3], 3)
    2
    >>> divisible_stretches([4, 4], 2)
    1
    """
''',
        reference="""from collections import Counter


def divisible_stretches(nums, k):
    seen = Counter([0])
    total, prefix = 0, 0
    for x in nums:
        prefix = (prefix + x) % k
        total += seen[prefix]
        seen[prefix] += 1
    singles = sum(1 for x in nums if x % k == 0)
    return total - singles
""",
        tests=[
            args([], 3),
            args([3], 3),
            args([0, 0], 1),
            args([0, 0, 0], 5),
            args([1, 1, 1, 1], 2),
            args([-1, 1, -1, 1], 2),
            args([5, -5, 5], 5),
            args([2, 7, 1, 8, 2, 8], 4),
            args([r.randint(-20, 20) for _ in range(50)], 7),
            args([r.randint(0, 10**9) for _ in range(30000)], 1000),
            args([1] * 40000, 1),
        ],
    )
)

# --- balanced_stretch -------------------------------------------------------------------------------
r = rng("balanced_stretch")
PROBLEMS.append(
    dict(
        id="fresh/balanced_stretch",
        level="hard",
        prompt='''def balanced_stretch(text: str) -> int:
    """Length of the longest substring holding as many vowels as consonants.

    Only the ASCII letters count: a, e, i, o, u (either case) are vowels, the other 21 ASCII letters
    (y included) are consonants. Any other character (digit, space, accented letter, ...) counts as
    neither but still adds to the substring's length. The empty substring qualifies, so the answer is
    at least 0. Texts may be 200000 characters long.

    >>> balanced_stretch("banana")
    6
    >>> balanced_stretch("a.b.c")
    4
    >>> balanced_stretch("xyz")
    0
    """
''',
        reference="""def balanced_stretch(text):
    first = {0: -1}
    bal, best = 0, 0
    for i, ch in enumerate(text):
        if ch.isascii() and ch.isalpha():
            bal += 1 if ch.lower() in "aeiou" else -1
        if bal in first:
            best = max(best, i - first[bal])
        else:
            first[bal] = i
    return best
""",
        tests=[
            args(""),
            args("..."),
            args("a"),
            args("ab"),
            args("AB"),
            args("yay"),
            args("éa b"),
            args("rhythm and blues"),
            args("ba" * 5 + "x" * 7),
            args("".join(r.choice("aeiouxyzqw ,") for _ in range(80))),
            args("".join(r.choice("aeioubcdfgh") for _ in range(50000))),
            args("a" * 100000 + "b" * 100000),
        ],
    )
)

# --- kth_sparse ---------------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/kth_sparse",
        level="hard",
        prompt='''def kth_sparse(n: int, k: int) -> str:
    """The k-th (1-based) string, in lexicographic order, among the binary strings of length n that have no
    two adjacent 1s; the empty string "" if there are fewer than k of them. n can be up to 90 and k up to
    10**18, so listing the strings is not an option.

    >>> kth_sparse(3, 1)
    '000'
    >>> kth_sparse(3, 5)
    '101'
    >>> kth_sparse(3, 6)
    ''
    """
''',
        reference="""def kth_sparse(n, k):
    count = [1, 2]
    for i in range(2, n + 1):
        count.append(count[-1] + count[-2])
    if k < 1 or k > count[n]:
        return ""
    out, prev = [], "0"
    for pos in range(n):
        rest = n - pos - 1
        if prev == "1":
            out.append("0")
            prev = "0"
            continue
        zeros = count[rest]
        if k <= zeros:
            out.append("0")
            prev = "0"
        else:
            k -= zeros
            out.append("1")
            prev = "1"
    return "".join(out)
""",
        tests=[
            args(0, 1),
            args(0, 2),
            args(1, 1),
            args(1, 2),
            args(1, 3),
            args(2, 3),
            args(4, 8),
            args(4, 9),
            args(5, 13),
            args(10, 100),
            args(60, 10**12),
            args(90, 10**18),
            args(90, 4660046610375530309),
            args(90, 4660046610375530310),
        ],
    )
)

# --- platforms_needed -----------------------------------------------------------------------------------------
r = rng("platforms_needed")


def _trains(n: int, day: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        a = r.randint(0, day)
        out.append((a, a + r.randint(0, 30)))
    return out


PROBLEMS.append(
    dict(
        id="fresh/platforms_needed",
        level="hard",
        prompt='''def platforms_needed(trains: list[tuple[int, int]], clean: int) -> int:
    """Fewest platforms a station needs for a day's trains.

    Train i stands at a platform from minute arrive to minute depart (both included; arrive <= depart).
    After a train leaves, its platform must be cleaned for `clean` minutes: it can take the next train
    from minute depart + clean + 1 on. Up to 100000 trains.

    >>> platforms_needed([(0, 10), (12, 20)], 1)
    1
    >>> platforms_needed([(0, 10), (12, 20)], 2)
    2
    >>> platforms_needed([], 5)
    0
    """
''',
        reference="""def platforms_needed(trains, clean):
    events = []
    for a, d in trains:
        events.append((a, 1))
        events.append((d + clean + 1, -1))
    events.sort(key=lambda e: (e[0], e[1]))
    best = cur = 0
    for _, delta in events:
        cur += delta
        best = max(best, cur)
    return best
""",
        tests=[
            args([], 0),
            args([(5, 5)], 0),
            args([(0, 0), (1, 1)], 0),
            args([(0, 0), (0, 0)], 0),
            args([(0, 5), (6, 8)], 0),
            args([(0, 5), (6, 8)], 1),
            args([(0, 5), (7, 8)], 1),
            args([(10, 20), (0, 5), (3, 12)], 0),
            args([(0, 100), (10, 20), (30, 40), (50, 60)], 9),
            args([(0, 100), (10, 20), (30, 40), (50, 60)], 10),
            args(_trains(40, 200), 3),
            args(_trains(10000, 10**5), 10),
        ],
    )
)

# --- lamps_on -------------------------------------------------------------------------------------------------
r = rng("lamps_on")
PROBLEMS.append(
    dict(
        id="fresh/lamps_on",
        level="hard",
        prompt='''def lamps_on(n: int, presses: list[int]) -> int:
    """n lamps, numbered 1 to n, all start off. Pressing button k toggles every lamp whose number is a
    multiple of k. Buttons are pressed in the given order (a button may be pressed several times; every
    k is between 1 and n). Return how many lamps are on at the end. n and the number of presses can both
    be 100000.

    >>> lamps_on(6, [2, 3])
    3
    >>> lamps_on(5, [1, 1])
    0
    """
''',
        reference="""from collections import Counter


def lamps_on(n, presses):
    state = bytearray(n + 1)
    for k, times in Counter(presses).items():
        if times % 2:
            for m in range(k, n + 1, k):
                state[m] ^= 1
    return sum(state)
""",
        tests=[
            args(0, []),
            args(1, []),
            args(1, [1]),
            args(10, [1]),
            args(10, [10]),
            args(10, [2, 2, 2]),
            args(12, [2, 3, 4, 6]),
            args(100, list(range(1, 101))),
            args(30, [r.randint(1, 30) for _ in range(20)]),
            args(30000, list(range(1, 30001))),
            args(30000, [1] * 30000),
            args(30000, [r.randint(1, 50) for _ in range(30000)]),
        ],
    )
)

# --- unique_prefixes ---------------------------------------------------------------------------------------------
r = rng("unique_prefixes")


def _words(n: int, alphabet: str, longest: int) -> list[str]:
    return ["".join(r.choice(alphabet) for _ in range(r.randint(1, longest))) for _ in range(n)]


PROBLEMS.append(
    dict(
        id="fresh/unique_prefixes",
        level="hard",
        prompt='''def unique_prefixes(words: list[str]) -> list[str]:
    """For every word, its shortest prefix that is not a prefix of any OTHER word of the list.

    When no such prefix exists (the word is a prefix of another word, or appears twice), use the whole
    word. The answers are listed in the order of `words`. Up to 20000 words.

    >>> unique_prefixes(["dog", "duck", "dove"])
    ['dog', 'du', 'dov']
    >>> unique_prefixes(["a", "ab", "b"])
    ['a', 'ab', 'b']
    """
''',
        reference="""def unique_prefixes(words):
    counts = {}
    for w in words:
        for i in range(1, len(w) + 1):
            counts[w[:i]] = counts.get(w[:i], 0) + 1
    out = []
    for w in words:
        for i in range(1, len(w) + 1):
            if counts[w[:i]] == 1:
                out.append(w[:i])
                break
        else:
            out.append(w)
    return out
""",
        tests=[
            args([]),
            args(["solo"]),
            args(["", "a"]),
            args(["same", "same"]),
            args(["abc", "abd", "ab"]),
            args(["Ab", "ab"]),
            args(["zebra", "dog", "duck", "dot"]),
            args(["über", "uber", "ü"]),
            args(_words(30, "ab", 5)),
            args(_words(6000, "abc", 12)),
            args(["x" * i for i in range(1, 200)]),
        ],
    )
)

# --- covered_k_times -----------------------------------------------------------------------------------------
r = rng("covered_k_times")
PROBLEMS.append(
    dict(
        id="fresh/covered_k_times",
        level="hard",
        prompt='''def covered_k_times(intervals: list[tuple[int, int]], k: int) -> int:
    """Total length of the points covered by at least k of the half-open intervals [a, b) (k >= 1).

    Intervals with b <= a are empty and cover nothing. Up to 100000 intervals with coordinates up to 10**9.

    >>> covered_k_times([(0, 10), (5, 15)], 2)
    5
    >>> covered_k_times([(0, 10), (5, 15)], 1)
    15
    >>> covered_k_times([(0, 4), (4, 8)], 2)
    0
    """
''',
        reference="""def covered_k_times(intervals, k):
    events = []
    for a, b in intervals:
        if b > a:
            events.append((a, 1))
            events.append((b, -1))
    events.sort()
    total, depth, prev = 0, 0, None
    for x, delta in events:
        if prev is not None and depth >= k:
            total += x - prev
        depth += delta
        prev = x
    return total
""",
        tests=[
            args([], 1),
            args([(3, 3)], 1),
            args([(5, 2)], 1),
            args([(0, 10)], 2),
            args([(0, 10), (0, 10)], 2),
            args([(0, 10), (2, 4), (3, 8)], 3),
            args([(0, 10), (2, 4), (3, 8)], 2),
            args([(-10, -5), (-7, 3)], 2),
            args([(r.randint(0, 50), r.randint(0, 60)) for _ in range(20)], 2),
            args([(a, a + r.randint(0, 10**4)) for a in (r.randint(0, 10**9) for _ in range(10000))], 1),
            args([(a, a + r.randint(0, 10**6)) for a in (r.randint(0, 10**7) for _ in range(10000))], 7),
        ],
    )
)

# --- word_chain -----------------------------------------------------------------------------------------------
r = rng("word_chain")
PROBLEMS.append(
    dict(
        id="fresh/word_chain",
        level="hard",
        prompt='''def word_chain(words: list[str]) -> int:
    """The most words a chain can hold: each word after the first starts with the last letter of the word
    before it (letter case ignored). Every entry of `words` can be used at most once (a word listed twice
    can be used twice), in any order. At most 14 non-empty words.

    >>> word_chain(["apple", "egg", "goat", "tiger", "elk"])
    4
    >>> word_chain(["ox", "yak"])
    1
    >>> word_chain([])
    0
    """
''',
        reference="""from functools import lru_cache


def word_chain(words):
    n = len(words)
    first = [w[0].lower() for w in words]
    last = [w[-1].lower() for w in words]

    @lru_cache(maxsize=None)
    def longest(used, end):
        best = 0
        for j in range(n):
            if not used >> j & 1 and first[j] == last[end]:
                best = max(best, 1 + longest(used | 1 << j, j))
        return best

    return max((1 + longest(1 << i, i) for i in range(n)), default=0)
""",
        tests=[
            args(["a"]),
            args(["aa", "aa", "aa"]),
            args(["ab", "ba"]),
            args(["Ab", "BA", "ab"]),
            args(["xy", "zq"]),
            args(["ab", "bc", "bd", "dc", "ca"]),
            args(["tea", "ant", "tent", "tot", "tut"]),
            args(["".join(r.choice("abc") for _ in range(r.randint(1, 4))) for _ in range(10)]),
            args(["".join(r.choice("abcd") for _ in range(r.randint(1, 4))) for _ in range(14)]),
            args(["".join(r.choice("ab") for _ in range(r.randint(1, 3))) for _ in range(14)]),
        ],
    )
)

# --- fence_colourings ------------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/fence_colourings",
        level="hard",
        prompt='''def fence_colourings(n: int, k: int, max_run: int) -> int:
    """Ways to paint n fence posts in a row with k colours so that no more than `max_run` consecutive posts
    have the same colour, modulo 1_000_000_007. There is exactly one way to paint 0 posts.
    n and max_run can be up to 100000.

    >>> fence_colourings(3, 2, 1)
    2
    >>> fence_colourings(3, 2, 2)
    6
    >>> fence_colourings(4, 3, 5)
    81
    """
''',
        reference="""def fence_colourings(n, k, max_run):
    mod = 1_000_000_007
    if n == 0:
        return 1
    total = [1] + [0] * n
    starts = [k % mod] + [0] * n
    window = 0
    for i in range(1, n + 1):
        window = (window + starts[i - 1]) % mod
        if i - max_run - 1 >= 0:
            window = (window - starts[i - max_run - 1]) % mod
        total[i] = window
        starts[i] = total[i] * (k - 1) % mod
    return total[n]
""",
        tests=[
            args(0, 5, 1),
            args(1, 0, 1),
            args(1, 7, 1),
            args(2, 1, 1),
            args(2, 1, 2),
            args(5, 1, 5),
            args(5, 1, 4),
            args(3, 3, 1),
            args(10, 2, 3),
            args(50, 4, 2),
            args(100000, 3, 1),
            args(100000, 10**9, 100000),
            args(100000, 26, 7),
        ],
    )
)

# --- balanced_teams ----------------------------------------------------------------------------------------------
r = rng("balanced_teams")
PROBLEMS.append(
    dict(
        id="fresh/balanced_teams",
        level="hard",
        prompt='''def balanced_teams(skills: list[int]) -> int:
    """Split the players into two teams whose sizes differ by at most one (everybody plays) so that the
    teams' total skills are as close as possible; return the smallest possible difference of the totals.
    At most 20 players; skills may be negative.

    >>> balanced_teams([1, 2, 3, 4])
    0
    >>> balanced_teams([10, 1, 1])
    8
    """
''',
        reference="""from itertools import combinations


def balanced_teams(skills):
    total = sum(skills)
    half = len(skills) // 2
    return min(abs(total - 2 * sum(team)) for team in combinations(skills, half))
""",
        tests=[
            args([]),
            args([7]),
            args([-7]),
            args([3, 5]),
            args([1, 1, 1, 1, 100]),
            args([100, 99, 1, 1]),
            args([-5, 5, -5, 5, 0]),
            args([r.randint(-50, 50) for _ in range(9)]),
            args([r.randint(1, 10**6) for _ in range(16)]),
            args([r.randint(1, 10**9) for _ in range(20)]),
            args([2**i for i in range(20)]),
        ],
    )
)

# --- close_inversions ---------------------------------------------------------------------------------------
r = rng("close_inversions")
PROBLEMS.append(
    dict(
        id="fresh/close_inversions",
        level="hard",
        prompt='''def close_inversions(nums: list[int], d: int) -> int:
    """Count the pairs of positions i < j with j - i <= d and nums[i] > nums[j] (d >= 1).

    Lists may hold 50000 numbers and d may be as large as the list, so checking every pair is too slow.

    >>> close_inversions([3, 1, 2], 1)
    1
    >>> close_inversions([3, 1, 2], 2)
    2
    """
''',
        reference="""from bisect import bisect_right


def close_inversions(nums, d):
    values = sorted(set(nums))
    size = len(values)
    tree = [0] * (size + 1)

    def add(i, delta):
        while i <= size:
            tree[i] += delta
            i += i & -i

    def prefix(i):
        s = 0
        while i > 0:
            s += tree[i]
            i -= i & -i
        return s

    rank = {v: i + 1 for i, v in enumerate(values)}
    count, inside = 0, 0
    for j, x in enumerate(nums):
        if j - d - 1 >= 0:
            add(rank[nums[j - d - 1]], -1)
            inside -= 1
        count += inside - prefix(rank[x])
        add(rank[x], 1)
        inside += 1
    return count
""",
        tests=[
            args([], 1),
            args([1], 3),
            args([2, 1], 1),
            args([1, 1, 1], 2),
            args([5, 4, 3, 2, 1], 1),
            args([5, 4, 3, 2, 1], 2),
            args([5, 4, 3, 2, 1], 100),
            args([1, 5, 2, 4, 3], 3),
            args([r.randint(0, 9) for _ in range(40)], 5),
            args([r.randint(-(10**9), 10**9) for _ in range(30000)], 30000),
            args([r.randint(0, 1000) for _ in range(15000)], 2000),
        ],
    )
)

# --- evaluate --------------------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/evaluate",
        level="hard",
        prompt='''def evaluate(expr: str) -> int:
    """Evaluate an integer expression with +, -, *, /, ^, unary minus, parentheses and spaces.

    ^ is exponentiation: it binds tighter than unary minus and groups from the right (2^3^2 = 2^9), with
    non-negative exponents only. * and / bind tighter than + and -, and group from the left. / divides
    integers and TRUNCATES toward zero, like C (7 / -2 = -3). No division by zero occurs.

    >>> evaluate("7 / -2")
    -3
    >>> evaluate("-2^2 + 2^3^2")
    508
    >>> evaluate("(1 + 2) * 3 - 4 / 3")
    8
    """
''',
        reference="""def evaluate(expr):
    tokens, i = [], 0
    while i < len(expr):
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit():
            j = i
            while j < len(expr) and expr[j].isdigit():
                j += 1
            tokens.append(int(expr[i:j]))
            i = j
        else:
            tokens.append(ch)
            i += 1
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expression():
        value = term()
        while peek() in ("+", "-"):
            value = value + term() if take() == "+" else value - term()
        return value

    def term():
        value = unary()
        while peek() in ("*", "/"):
            if take() == "*":
                value *= unary()
            else:
                other = unary()
                q = abs(value) // abs(other)
                value = q if (value >= 0) == (other >= 0) else -q
        return value

    def unary():
        if peek() == "-":
            take()
            return -unary()
        return power()

    def power():
        base = atom()
        if peek() == "^":
            take()
            return base ** unary()
        return base

    def atom():
        tok = take()
        if tok == "(":
            value = expression()
            take()
            return value
        return tok

    return expression()
""",
        tests=[
            args("0"),
            args("42"),
            args("1-2-3"),
            args("2*3+4*5"),
            args("-7/2"),
            args("-(7)/2"),
            args("7/2*2"),
            args("--3"),
            args("2^0"),
            args("(2^2)^3"),
            args("2^2^3"),
            args("-3^2"),
            args("10 - -2 * 3 / 4"),
            args("(" * 120 + "1+1" + ")" * 120 + "*5"),
            args("+".join(["3*4-5/2"] * 3000)),
        ],
    )
)

# --- most_on_time -----------------------------------------------------------------------------------------------
r = rng("most_on_time")
PROBLEMS.append(
    dict(
        id="fresh/most_on_time",
        level="hard",
        prompt='''def most_on_time(jobs: list[tuple[int, int]]) -> int:
    """A printer works through jobs one at a time, starting at time 0, never idle between jobs. Job
    (duration, deadline) is on time when it finishes no later than its deadline. Jobs may be done in any
    order and jobs may be skipped; return the largest number of jobs that can all be on time.
    Up to 100000 jobs.

    >>> most_on_time([(2, 2), (2, 3), (1, 3)])
    2
    >>> most_on_time([(5, 4)])
    0
    """
''',
        reference="""import heapq


def most_on_time(jobs):
    heap, total = [], 0
    for duration, deadline in sorted(jobs, key=lambda j: j[1]):
        heapq.heappush(heap, -duration)
        total += duration
        if total > deadline:
            total += heapq.heappop(heap)
    return len(heap)
""",
        tests=[
            args([]),
            args([(1, 1)]),
            args([(1, 0)]),
            args([(0, 0), (0, 0)]),
            args([(3, 3), (1, 1), (1, 2)]),
            args([(3, 3), (1, 2), (1, 2), (1, 2)]),
            args([(4, 4), (2, 5), (2, 6)]),
            args([(r.randint(1, 9), r.randint(1, 30)) for _ in range(12)]),
            args([(r.randint(1, 100), r.randint(1, 10**4)) for _ in range(500)]),
            args([(r.randint(1, 1000), r.randint(1, 10**7)) for _ in range(15000)]),
        ],
    )
)
