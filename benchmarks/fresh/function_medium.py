"""Medium function-style fresh problems (invented for codesift; see codesift.bench.fresh)."""

from __future__ import annotations

from _gen import args, rng

PROBLEMS = []

# --- podium_ranks --------------------------------------------------------------------------------------
r = rng("podium_ranks")
PROBLEMS.append(
    dict(
        id="fresh/podium_ranks",
        level="medium",
        prompt='''def podium_ranks(scores: list[int]) -> list[int]:
    """The rank of every player, listed in the order the scores are given; the highest score ranks 1.

    Equal scores share a rank, and the ranks after a tie skip ahead: scores 9, 7, 7, 5 rank 1, 2, 2, 4.

    >>> podium_ranks([10, 30, 20, 30])
    [4, 1, 3, 1]
    >>> podium_ranks([])
    []
    """
''',
        reference="""from bisect import bisect_right


def podium_ranks(scores):
    ordered = sorted(scores)
    return [len(ordered) - bisect_right(ordered, s) + 1 for s in scores]
""",
        tests=[
            args([]),
            args([5]),
            args([5, 5, 5]),
            args([1, 2, 3]),
            args([3, 2, 1]),
            args([9, 7, 7, 5]),
            args([-1, 0, -1, 0, 2]),
            args([4, 4, 1, 1, 1, 0]),
            args([r.randint(0, 5) for _ in range(30)]),
            args([r.randint(-(10**6), 10**6) for _ in range(11000)]),
            args([r.randint(0, 100) for _ in range(11000)]),
        ],
    )
)

# --- curve ---------------------------------------------------------------------------------------------
r = rng("curve")
PROBLEMS.append(
    dict(
        id="fresh/curve",
        level="medium",
        prompt='''def curve(scores: list[int], top: int) -> list[int]:
    """Scale non-negative exam scores so that the best one becomes `top`.

    Each score s becomes s * top / max(scores), rounded to the nearest integer, with exact halves rounded
    UP (62.5 -> 63). If the list is empty or every score is 0, the scores are returned unchanged.

    >>> curve([40, 80, 50], 100)
    [50, 100, 63]
    >>> curve([1, 2, 3], 5)
    [2, 3, 5]
    """
''',
        reference="""def curve(scores, top):
    best = max(scores, default=0)
    if best == 0:
        return list(scores)
    return [(2 * s * top + best) // (2 * best) for s in scores]
""",
        tests=[
            args([], 10),
            args([0, 0], 10),
            args([0, 5], 10),
            args([1, 3], 2),
            args([1, 4], 2),
            args([3, 4], 2),
            args([1, 2, 3, 4, 5, 6, 7, 8], 100),
            args([10**15 + 1, 2 * 10**15], 99),
            args([5, 15, 25, 35], 70),
            args([7], 3),
            args([r.randint(0, 1000) for _ in range(500)], 997),
            args([r.randint(0, 99) * 2 + 1 for _ in range(300)], 100),
        ],
    )
)

# --- free_slots -----------------------------------------------------------------------------------------
r = rng("free_slots")


def _busy(n: int, span: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        a = r.randint(-50, span)
        out.append((a, a + r.randint(1, 60)))
    return out


PROBLEMS.append(
    dict(
        id="fresh/free_slots",
        level="medium",
        prompt='''def free_slots(busy: list[tuple[int, int]], start: int, end: int, min_len: int) -> list[tuple[int, int]]:
    """Free time within a working day [start, end), given busy intervals [a, b) in minutes.

    Busy intervals may overlap, touch each other, come in any order and reach outside the day. Return,
    in time order, the free intervals inside the day that are at least `min_len` minutes long.

    >>> free_slots([(60, 120), (100, 150), (200, 210)], 0, 240, 30)
    [(0, 60), (150, 200), (210, 240)]
    >>> free_slots([], 540, 600, 61)
    []
    """
''',
        reference="""def free_slots(busy, start, end, min_len):
    out, cur = [], start
    for a, b in sorted(busy):
        if a > cur:
            gap = (cur, min(a, end))
            if gap[1] - gap[0] >= min_len:
                out.append(gap)
        cur = max(cur, b)
        if cur >= end:
            return out
    if end - cur >= min_len:
        out.append((cur, end))
    return out
""",
        tests=[
            args([], 0, 10, 1),
            args([], 0, 10, 10),
            args([], 0, 10, 11),
            args([(0, 10)], 0, 10, 1),
            args([(-5, 3), (8, 20)], 0, 10, 1),
            args([(2, 4), (4, 6)], 0, 10, 1),
            args([(2, 4), (5, 6)], 0, 10, 1),
            args([(2, 4), (5, 6)], 0, 10, 2),
            args([(30, 40), (10, 20)], 0, 50, 10),
            args([(100, 200)], 0, 50, 5),
            args([(3, 9), (1, 2), (4, 5)], 0, 12, 1),
            args(_busy(20, 500), 0, 500, 5),
            args(_busy(10000, 10**6), 0, 10**6, 120),
        ],
    )
)

# --- expand --------------------------------------------------------------------------------------------
r = rng("expand")
PROBLEMS.append(
    dict(
        id="fresh/expand",
        level="medium",
        prompt=r'''def expand(code: str) -> str:
    r"""Expand a run-length code in which a count FOLLOWS its character: "a3b" means "aaab".

    A character without a count stands for itself once. Counts may have several digits ("x12" is twelve
    x's) and may be 0. A backslash makes the next character literal, so digits and backslashes can be
    encoded too: "\32" is "33". A code never starts with a digit and never ends with a lone backslash.

    >>> expand("a3bc2")
    'aaabcc'
    >>> expand("x0y10")
    'yyyyyyyyyy'
    >>> expand("\\2\\\\3")
    '2\\\\\\'
    """
''',
        reference=r"""def expand(code):
    out, i, n = [], 0, len(code)
    while i < n:
        ch = code[i]
        if ch == "\\":
            ch = code[i + 1]
            i += 2
        else:
            i += 1
        j = i
        while j < n and code[j] in "0123456789":
            j += 1
        out.append(ch * (int(code[i:j]) if j > i else 1))
        i = j
    return "".join(out)
""",
        tests=[
            args(""),
            args("a"),
            args("ab"),
            args("a1"),
            args("a0"),
            args("a01"),
            args("z100"),
            args("\\1\\2"),
            args("\\12"),
            args("\\\\"),
            args("é3ß2"),
            args("a2 3-1"),
            args("x9" * 50),
            args("a30000b1"),
        ],
    )
)

# --- shelves_needed --------------------------------------------------------------------------------------
r = rng("shelves_needed")
PROBLEMS.append(
    dict(
        id="fresh/shelves_needed",
        level="medium",
        prompt='''def shelves_needed(widths: list[int], shelf: int) -> int:
    """Books are put on shelves in the given order, left to right; when the next book does not fit on the
    current shelf, a new shelf is started. Neighbouring books on one shelf need 1 cm of space between
    them (none at the ends of a shelf). Every width is positive and at most `shelf`. Return how many
    shelves are used (0 for no books).

    >>> shelves_needed([2, 2, 2], 6)
    2
    >>> shelves_needed([3, 3, 1], 7)
    2
    """
''',
        reference="""def shelves_needed(widths, shelf):
    shelves, used = 0, 0
    for w in widths:
        if shelves and used + 1 + w <= shelf:
            used += 1 + w
        else:
            shelves += 1
            used = w
    return shelves
""",
        tests=[
            args([], 5),
            args([5], 5),
            args([5, 5], 5),
            args([1, 1], 3),
            args([1, 1], 2),
            args([1, 1, 1, 1, 1], 9),
            args([1, 1, 1, 1, 1], 8),
            args([4, 1, 4, 1], 6),
            args([r.randint(1, 10) for _ in range(100)], 10),
            args([r.randint(1, 30) for _ in range(50000)], 100),
        ],
    )
)

# --- elevator_travel -------------------------------------------------------------------------------------
r = rng("elevator_travel")
PROBLEMS.append(
    dict(
        id="fresh/elevator_travel",
        level="medium",
        prompt='''def elevator_travel(start: int, requests: list[int]) -> int:
    """Floors travelled by an elevator that serves all requested floors in two sweeps.

    The elevator first heads toward the first requested floor that differs from `start` and keeps going in
    that direction up to the farthest requested floor on that side, serving requests on its way; then it
    turns round and goes to the farthest requested floor on the other side, if any. Requests at `start`
    are served at once. Return the number of floors travelled.

    >>> elevator_travel(5, [7, 2, 9])
    11
    >>> elevator_travel(5, [4, 8, 1])
    11
    >>> elevator_travel(5, [5, 5])
    0
    """
''',
        reference="""def elevator_travel(start, requests):
    first = next((f for f in requests if f != start), None)
    if first is None:
        return 0
    up = [f for f in requests if f > start]
    down = [f for f in requests if f < start]
    if first > start:
        far = max(up)
        return (far - start) + (far - min(down) if down else 0)
    low = min(down)
    return (start - low) + (max(up) - low if up else 0)
""",
        tests=[
            args(0, []),
            args(3, [3]),
            args(3, [4]),
            args(3, [1]),
            args(3, [3, 1, 10]),
            args(10, [12, 11, 1]),
            args(10, [9, 30, 0]),
            args(-2, [-5, 4, -9]),
            args(0, [5, -5, 5, -5]),
            args(50, [r.randint(0, 100) for _ in range(30)]),
            args(500, [r.randint(0, 1000) for _ in range(50000)]),
        ],
    )
)

# --- bracket_report ------------------------------------------------------------------------------------
r = rng("bracket_report")
PROBLEMS.append(
    dict(
        id="fresh/bracket_report",
        level="medium",
        prompt='''def bracket_report(text: str) -> int:
    """Check the brackets (), [] and {} of a text; all other characters are ignored.

    If the brackets are balanced and properly nested, return the deepest nesting level (0 when there are
    no brackets). Otherwise return -(p + 1), where p is the 0-based position at which the text is first
    known to be wrong: a closing bracket that does not match the last unclosed opening bracket (or that
    has none), or p = len(text) when the text ends with brackets still open.

    >>> bracket_report("a(b[c]d)")
    2
    >>> bracket_report("(]")
    -2
    >>> bracket_report("((x)")
    -5
    """
''',
        reference="""def bracket_report(text):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack, depth = [], 0
    for i, ch in enumerate(text):
        if ch in "([{":
            stack.append(ch)
            depth = max(depth, len(stack))
        elif ch in pairs:
            if not stack or stack[-1] != pairs[ch]:
                return -(i + 1)
            stack.pop()
    return -(len(text) + 1) if stack else depth
""",
        tests=[
            args(""),
            args("abc"),
            args(")"),
            args("("),
            args("()[]{}"),
            args("([{}])"),
            args("([)]"),
            args("{[()()]}x}"),
            args("«(»)"),
            args("((((("),
            args("()" * 20000 + ")"),
            args("(" * 20000 + ")" * 20000),
            args("[" * 20000 + ")" * 20000),
        ],
    )
)

# --- corner_spiral ------------------------------------------------------------------------------------------
r = rng("corner_spiral")


def _grid(h: int, w: int) -> list[str]:
    return ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(w)) for _ in range(h)]


PROBLEMS.append(
    dict(
        id="fresh/corner_spiral",
        level="medium",
        prompt='''def corner_spiral(grid: list[str]) -> str:
    """Read a rectangular grid of characters along a spiral and return the characters in reading order.

    The spiral starts in the TOP-RIGHT corner and goes DOWN the right edge, then left along the bottom,
    up the left edge, right along the top, and so on inwards, visiting every cell exactly once.

    >>> corner_spiral(["abc", "def", "ghi"])
    'cfihgdabe'
    >>> corner_spiral(["ab"])
    'ba'
    """
''',
        reference="""def corner_spiral(grid):
    if not grid or not grid[0]:
        return ""
    h, w = len(grid), len(grid[0])
    seen = [[False] * w for _ in range(h)]
    moves = [(1, 0), (0, -1), (-1, 0), (0, 1)]
    r, c, d, out = 0, w - 1, 0, []
    for _ in range(h * w):
        out.append(grid[r][c])
        seen[r][c] = True
        for _ in range(4):
            nr, nc = r + moves[d][0], c + moves[d][1]
            if 0 <= nr < h and 0 <= nc < w and not seen[nr][nc]:
                break
            d = (d + 1) % 4
        r, c = nr, nc
    return "".join(out)
""",
        tests=[
            args([]),
            args(["x"]),
            args(["abcd"]),
            args(["a", "b", "c"]),
            args(["ab", "cd"]),
            args(["abcd", "efgh", "ijkl"]),
            args(["abc", "def", "ghi", "jkl"]),
            args(["äöü", "ßéñ"]),
            args(_grid(5, 7)),
            args(_grid(8, 3)),
            args(_grid(150, 200)),
        ],
    )
)

# --- stock_after -----------------------------------------------------------------------------------------
r = rng("stock_after")


def _log(n: int) -> list[str]:
    items = ["tea", "jam", "oat", "fig"]
    out = []
    for _ in range(n):
        k = r.random()
        item = r.choice(items)
        if k < 0.4:
            out.append(f"+{r.randint(1, 9)} {item}")
        elif k < 0.7:
            out.append(f"-{r.randint(1, 9)} {item}")
        elif k < 0.8:
            out.append(f"clear {item}")
        else:
            out.append("undo")
    return out


PROBLEMS.append(
    dict(
        id="fresh/stock_after",
        level="medium",
        prompt='''def stock_after(log: list[str]) -> dict[str, int]:
    """Replay a shop's stock log; return the final count of every item whose count is positive.

    Entries: "+N item" adds N; "-N item" removes N but a count never goes below 0 (it stops at 0);
    "clear item" sets the item's count to 0; "undo" reverts the most recent entry that has not been
    reverted yet, restoring the count it changed. Undo entries themselves are never reverted, and an undo
    with nothing left to revert does nothing.

    >>> stock_after(["+5 tea", "-2 tea", "+1 jam"])
    {'tea': 3, 'jam': 1}
    >>> stock_after(["+5 tea", "clear tea", "undo", "-7 tea"])
    {}
    >>> stock_after(["+2 tea", "+3 tea", "undo", "undo"])
    {}
    """
''',
        reference="""def stock_after(log):
    stock, history = {}, []
    for entry in log:
        if entry == "undo":
            if history:
                item, before = history.pop()
                stock[item] = before
            continue
        op, item = entry.split(" ", 1)
        before = stock.get(item, 0)
        history.append((item, before))
        if op == "clear":
            stock[item] = 0
        elif op.startswith("+"):
            stock[item] = before + int(op[1:])
        else:
            stock[item] = max(0, before - int(op[1:]))
    return {k: v for k, v in stock.items() if v > 0}
""",
        tests=[
            args([]),
            args(["undo"]),
            args(["+1 tea", "undo", "undo", "+2 jam"]),
            args(["+3 tea", "-5 tea", "undo"]),
            args(["+3 tea", "-5 tea", "+1 tea", "undo", "undo"]),
            args(["clear tea", "+4 tea"]),
            args(["+10 green tea", "-3 green tea", "+1 tea"]),
            args(["+2 café", "+1 cafe", "undo"]),
            args(["+0 tea"]),
            args(_log(30)),
            args(_log(200)),
            args(_log(20000)),
        ],
    )
)

# --- drift_cipher --------------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/drift_cipher",
        level="medium",
        prompt='''def drift_cipher(text: str, shift: int) -> str:
    """Encrypt a text whose words drift further and further.

    Words are maximal runs of non-whitespace characters, numbered 0, 1, 2, ... from the left. In word k
    every ASCII letter is shifted forward by shift + k places in the alphabet, wrapping around (z -> a)
    and keeping its case. All other characters (digits, punctuation, accented letters, whitespace) stay
    as they are. `shift` may be negative or larger than 26.

    >>> drift_cipher("abc xyz", 1)
    'bcd zab'
    >>> drift_cipher("Hi, Bob!", 0)
    'Hi, Cpc!'
    """
''',
        reference="""import re


def drift_cipher(text, shift):
    parts = re.split(r"(\\s+)", text)
    out, k = [], 0
    for part in parts:
        if not part or part.isspace():
            out.append(part)
            continue
        s = shift + k
        word = []
        for ch in part:
            if "a" <= ch <= "z":
                word.append(chr((ord(ch) - 97 + s) % 26 + 97))
            elif "A" <= ch <= "Z":
                word.append(chr((ord(ch) - 65 + s) % 26 + 65))
            else:
                word.append(ch)
        out.append("".join(word))
        k += 1
    return "".join(out)
""",
        tests=[
            args("", 5),
            args("   ", 5),
            args("a", -1),
            args("Zz", 1),
            args("a b c d", 25),
            args("  lead  and\ttabs\n", 3),
            args("héllo wörld", 2),
            args("abc", 27),
            args("abc abc", -27),
            args("2 be, or not 2 be", 0),
            args(" ".join(["Quiz"] * 2000), 7),
        ],
    )
)

# --- longest_diagonal_run ---------------------------------------------------------------------------------
r = rng("longest_diagonal_run")
PROBLEMS.append(
    dict(
        id="fresh/longest_diagonal_run",
        level="medium",
        prompt='''def longest_diagonal_run(grid: list[list[int]]) -> int:
    """Length of the longest run of equal, consecutive values along a diagonal of a rectangular grid.

    Both diagonal directions count (down-right and down-left); rows and columns do not. An empty grid
    gives 0.

    >>> longest_diagonal_run([[1, 2], [3, 1]])
    2
    >>> longest_diagonal_run([[5, 5, 5]])
    1
    >>> longest_diagonal_run([[1, 2, 7], [2, 7, 1], [7, 1, 2]])
    3
    """
''',
        reference="""def longest_diagonal_run(grid):
    if not grid or not grid[0]:
        return 0
    h, w = len(grid), len(grid[0])
    best = 1
    right = [[1] * w for _ in range(h)]
    left = [[1] * w for _ in range(h)]
    for i in range(1, h):
        for j in range(w):
            if j > 0 and grid[i][j] == grid[i - 1][j - 1]:
                right[i][j] = right[i - 1][j - 1] + 1
            if j < w - 1 and grid[i][j] == grid[i - 1][j + 1]:
                left[i][j] = left[i - 1][j + 1] + 1
            best = max(best, right[i][j], left[i][j])
    return best
""",
        tests=[
            args([]),
            args([[]]),
            args([[4]]),
            args([[1], [1], [1]]),
            args([[1, 1], [1, 1]]),
            args([[1, 2, 3], [4, 1, 2], [5, 4, 1], [6, 5, 4]]),
            args([[0, 0, 9], [0, 9, 0], [9, 0, 0]]),
            args([[r.randint(0, 1) for _ in range(6)] for _ in range(5)]),
            args([[r.randint(0, 2) for _ in range(20)] for _ in range(20)]),
            args([[(i - j) % 3 for j in range(120)] for i in range(120)]),
            args([[(i + j) % 2 for j in range(100)] for i in range(90)]),
        ],
    )
)

# --- next_rotation -------------------------------------------------------------------------------------
r = rng("next_rotation")
PROBLEMS.append(
    dict(
        id="fresh/next_rotation",
        level="medium",
        prompt='''def next_rotation(n: int) -> int:
    """The smallest number greater than n that is a rotation of n's decimal digits, or -1 if none is.

    A rotation moves some digits from the front of the number to its back, keeping their order
    (1234 -> 2341, 3412, 4123). Rotations that would start with a 0 do not count. n is non-negative.

    >>> next_rotation(1234)
    2341
    >>> next_rotation(4123)
    -1
    >>> next_rotation(1020)
    2010
    """
''',
        reference="""def next_rotation(n):
    s = str(n)
    bigger = [int(s[i:] + s[:i]) for i in range(1, len(s)) if s[i] != "0" and int(s[i:] + s[:i]) > n]
    return min(bigger, default=-1)
""",
        tests=[
            args(0),
            args(7),
            args(10),
            args(12),
            args(21),
            args(111),
            args(1001),
            args(2010),
            args(1020),
            args(3412),
            args(909090),
            args(r.randrange(10**40)),
            args(int("1" + "0" * 300 + "2" + "0" * 300)),
        ],
    )
)

# --- knight_hops --------------------------------------------------------------------------------------
r = rng("knight_hops")
PROBLEMS.append(
    dict(
        id="fresh/knight_hops",
        level="medium",
        prompt='''def knight_hops(n: int, blocked: list[tuple[int, int]], start: tuple[int, int], goal: tuple[int, int]) -> int:
    """Fewest knight moves from `start` to `goal` on an n x n board (squares are (row, column), 0-based).

    The knight may not land on a blocked square (it may jump over them). Return -1 if the goal cannot be
    reached or is blocked; 0 if start == goal.

    >>> knight_hops(8, [], (0, 0), (1, 2))
    1
    >>> knight_hops(3, [], (0, 0), (1, 1))
    -1
    >>> knight_hops(5, [(1, 2)], (0, 0), (1, 2))
    -1
    """
''',
        reference="""from collections import deque


def knight_hops(n, blocked, start, goal):
    walls = set(map(tuple, blocked))
    start, goal = tuple(start), tuple(goal)
    if goal in walls:
        return -1
    if start == goal:
        return 0
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)):
            nxt = (r + dr, c + dc)
            if 0 <= nxt[0] < n and 0 <= nxt[1] < n and nxt not in walls and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                if nxt == goal:
                    return dist[nxt]
                queue.append(nxt)
    return -1
""",
        tests=[
            args(1, [], (0, 0), (0, 0)),
            args(8, [], (0, 0), (7, 7)),
            args(8, [], (0, 0), (0, 1)),
            args(2, [], (0, 0), (1, 1)),
            args(4, [], (0, 0), (3, 3)),
            args(8, [(1, 2), (2, 1)], (0, 0), (7, 7)),
            args(8, [(2, 2)], (0, 0), (2, 2)),
            args(5, [(1, 1)], (3, 3), (3, 3)),
            args(6, [(r.randrange(6), r.randrange(6)) for _ in range(8)], (0, 0), (5, 5)),
            args(300, [], (0, 0), (299, 298)),
            args(200, [(i, 100) for i in range(199)] + [(i, 101) for i in range(199)], (0, 0), (0, 199)),
        ],
    )
)

# --- widest_plateau ----------------------------------------------------------------------------------------
r = rng("widest_plateau")
PROBLEMS.append(
    dict(
        id="fresh/widest_plateau",
        level="medium",
        prompt='''def widest_plateau(heights: list[int]) -> int:
    """Width of the widest plateau of a mountain profile, or 0 if there is none.

    A plateau is a maximal run of equal consecutive heights whose neighbours on BOTH sides exist and are
    strictly lower than it. A run that touches either end of the profile is not a plateau.

    >>> widest_plateau([1, 3, 3, 3, 2, 5, 5, 1])
    3
    >>> widest_plateau([4, 4, 4, 1, 2, 2, 3])
    0
    """
''',
        reference="""def widest_plateau(heights):
    best, i, n = 0, 0, len(heights)
    while i < n:
        j = i
        while j + 1 < n and heights[j + 1] == heights[i]:
            j += 1
        if i > 0 and j < n - 1 and heights[i - 1] < heights[i] > heights[j + 1]:
            best = max(best, j - i + 1)
        i = j + 1
    return best
""",
        tests=[
            args([]),
            args([5]),
            args([1, 2]),
            args([1, 2, 1]),
            args([2, 1, 2]),
            args([1, 2, 2, 2, 2]),
            args([0, 5, 5, 0, 7, 0]),
            args([0, 5, 5, 0, 7, 7, 0]),
            args([-3, -1, -1, -2]),
            args([r.randint(0, 3) for _ in range(60)]),
            args([1] + [9] * 30000 + [1]),
            args([r.randint(0, 2) for _ in range(50000)]),
        ],
    )
)
