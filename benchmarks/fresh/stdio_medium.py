"""Medium stdin/stdout fresh problems (invented for codesift; see codesift.bench.fresh)."""

from __future__ import annotations

from _gen import rng

PROBLEMS = []

# --- merge_logs ------------------------------------------------------------------------------------------
r = rng("merge_logs")


def _logs(files: int, lines: int) -> str:
    out = [str(files)]
    for _ in range(files):
        times = sorted(r.randint(0, lines * 2) for _ in range(r.randint(0, lines)))
        out.append(str(len(times)))
        out.extend(f"{t} {r.choice(['ok', 'warn', 'disk full', 'retry 3'])}" for t in times)
    return "\n".join(out) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/merge_logs",
        level="medium",
        examples=1,
        prompt="""# Merging logs

Several machines each wrote a log whose lines are sorted by time. Merge them into one log sorted by time.
Lines with the same time keep the order of their files (a line of file 1 comes before a line of file 2),
and lines of the same file keep their own order. Print each line as the time, a space, "#" followed by the
file's number (files are numbered from 1 in input order), a space and the message.

Input format: the first line holds f, the number of files (1 <= f <= 50). Then, for every file, a line
with its number of lines m (m >= 0) followed by m lines "time message": a non-negative integer time and a
message that may contain spaces. At most 100000 log lines in total.

Output format: the merged lines, one per line.

### Example 1
Input:
```
2
2
5 boot
9 ready
3
1 start
5 disk check
9 done
```
Output:
```
1 #2 start
5 #1 boot
5 #2 disk check
9 #1 ready
9 #2 done
```
""",
        reference="""import sys

lines = sys.stdin.read().split("\\n")
pos = 0
f = int(lines[pos]); pos += 1
entries = []
for file_no in range(1, f + 1):
    m = int(lines[pos]); pos += 1
    for k in range(m):
        t, _, msg = lines[pos].partition(" ")
        pos += 1
        entries.append((int(t), file_no, k, msg))
entries.sort()
print("\\n".join(f"{t} #{no} {msg}" for t, no, _, msg in entries))
""",
        tests=[
            "1\n0\n",
            "1\n1\n0 x\n",
            "2\n0\n1\n3 only\n",
            "3\n1\n4 c\n1\n4 b\n1\n4 a\n",
            "2\n2\n1 a\n1 b\n2\n1 c\n1 d\n",
            "2\n1\n10 big\n1\n9 small\n",
            "1\n3\n1   spaced   msg\n2 ünïcode\n3 tab\there\n",
            _logs(3, 5),
            _logs(5, 20),
            _logs(50, 600),
        ],
    )
)

# --- anagram_families ----------------------------------------------------------------------------------
r = rng("anagram_families")
_BASE = [
    "listen",
    "silent",
    "enlist",
    "tinsel",
    "Inlets",
    "stone",
    "tones",
    "notes",
    "onset",
    "apple",
    "bat",
    "tab",
    "TAB",
    "cat",
]
PROBLEMS.append(
    dict(
        id="fresh/anagram_families",
        level="medium",
        examples=2,
        prompt="""Anagram families

Two words are in the same family when one is an anagram of the other, ignoring letter case ("Tab" and
"bat" are; a word is in its own family). Read all the words of the input (separated by spaces and line
breaks) and print every family on its own line: its words in the order they appear in the input,
separated by single spaces, each word as written (a word that appears twice is printed twice).

Print the largest family first; families of equal size in the order in which their first word appears.

Sample Input 1
```
stone listen bat tones
silent Tab
```
Sample Output 1
```
stone tones
listen silent
bat Tab
```

Sample Input 2
```
a A b a
```
Sample Output 2
```
a A a
b
```
""",
        reference="""import sys

families = {}
order = []
for w in sys.stdin.read().split():
    key = "".join(sorted(w.lower()))
    if key not in families:
        families[key] = []
        order.append(key)
    families[key].append(w)
ranked = sorted(range(len(order)), key=lambda i: (-len(families[order[i]]), i))
for i in ranked:
    print(" ".join(families[order[i]]))
""",
        tests=[
            "solo\n",
            "ab ba\n",
            "ab\nba\nab\n",
            "x y z\n",
            "Dusty study\n dusty\n",
            "abc cab bca xyz zyx q\n",
            "Ärger rÄger ärgeR\n",
            "  spaced   \n\n  out \n",
            " ".join(r.choice(_BASE) for _ in range(50)) + "\n",
            "\n".join(" ".join("".join(r.choice("abcd") for _ in range(4)) for _ in range(100)) for _ in range(500))
            + "\n",
        ],
    )
)

# --- platform_peak ----------------------------------------------------------------------------------------
r = rng("platform_peak")


def _events(n: int, span: int) -> str:
    events = []
    for _ in range(n):
        t = r.randint(0, span)
        k = r.randint(1, 9)
        events.append((t, k))
        events.append((t + r.randint(1, 50), -k))
    r.shuffle(events)
    lines = [f"{t} {'+' if k > 0 else '-'}{abs(k)}" for t, k in events]
    return f"{len(lines)}\n" + "\n".join(lines) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/platform_peak",
        level="medium",
        examples=2,
        prompt="""# Platform peak

The platform is empty at the start. Events say that k people arrived on the platform ("t +k") or left it
("t -k") at minute t. The events are NOT given in time order. Within one minute, everybody who leaves
leaves before anybody arrives. The platform never holds a negative number of people.

Find the largest number of people on the platform at the same time, and the earliest minute at which
that many were there. If the platform is never occupied, print 0 -1.

Input format: the first line holds n (0 <= n <= 200000), then n lines "t +k" or "t -k" with
0 <= t <= 10^9 and 1 <= k <= 1000.

Output format: two integers: the largest number of people and the earliest minute it was reached.

### Example 1
Input:
```
4
10 -3
3 +2
5 +3
7 -2
```
Output:
```
5 5
```

### Example 2
Input:
```
3
4 +2
6 +1
6 -2
```
Output:
```
2 4
```
""",
        reference="""import sys

data = sys.stdin.read().split()
n = int(data[0])
events = []
for i in range(n):
    t, d = int(data[1 + 2 * i]), int(data[2 + 2 * i])
    events.append((t, d))
events.sort()
best, when, cur = 0, -1, 0
for t, d in events:
    cur += d
    if cur > best:
        best, when = cur, t
print(best, when)
""",
        tests=[
            "0\n",
            "1\n5 +1\n",
            "2\n5 +1\n5 -1\n",
            "2\n5 -1\n0 +1\n",
            "4\n1 +2\n2 -2\n2 +2\n3 -2\n",
            "4\n1 +2\n2 +1\n3 -1\n3 +1\n",
            "3\n1000000000 +1000\n0 +1\n1 -1\n",
            "4\n9 +4\n9 -4\n1 +4\n8 -0\n".replace("8 -0\n", "10 -4\n"),
            _events(10, 30),
            _events(10000, 10**9),
        ],
    )
)

# --- ring_sums --------------------------------------------------------------------------------------------
r = rng("ring_sums")


def _matrix(n: int, lo: int, hi: int) -> str:
    return f"{n}\n" + "\n".join(" ".join(str(r.randint(lo, hi)) for _ in range(n)) for _ in range(n)) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/ring_sums",
        level="medium",
        examples=2,
        prompt="""Ring sums

An n x n table of integers is made of nested square rings: the outermost ring is the first and last row
and column, the next ring is the same for the table without its outermost ring, and so on; when n is
odd, the innermost ring is the single centre cell. Print the sum of every ring, outermost first.

**Input.** The first line holds n (1 <= n <= 500); then n lines of n integers each, between -10^6 and 10^6.

**Output.** One line with the ring sums separated by single spaces.

## Examples

Input
```
3
1 2 3
4 5 6
7 8 9
```
Output
```
40 5
```

Input
```
2
1 1
1 -5
```
Output
```
-2
```
""",
        reference="""import sys

data = sys.stdin.read().split()
n = int(data[0])
a = [list(map(int, data[1 + i * n : 1 + (i + 1) * n])) for i in range(n)]
sums = [0] * ((n + 1) // 2)
for i in range(n):
    for j in range(n):
        sums[min(i, j, n - 1 - i, n - 1 - j)] += a[i][j]
print(" ".join(map(str, sums)))
""",
        tests=[
            "1\n7\n",
            "1\n-7\n",
            "2\n1 2\n3 4\n",
            "4\n1 1 1 1\n1 2 2 1\n1 2 2 1\n1 1 1 1\n",
            "5\n" + "\n".join(" ".join("1" for _ in range(5)) for _ in range(5)) + "\n",
            _matrix(6, -9, 9),
            _matrix(7, -1000000, 1000000),
            _matrix(200, -1000000, 1000000),
            _matrix(199, 0, 9),
            "3\n0 0 0\n0 0 0\n0 0 0\n",
        ],
    )
)

# --- marsh_walk ------------------------------------------------------------------------------------------
r = rng("marsh_walk")


def _marsh(h: int, w: int, walls: float, water: float) -> str:
    cells = [[r.choices(".#~", weights=(1 - walls - water, walls, water))[0] for _ in range(w)] for _ in range(h)]
    cells[0][0] = "S"
    cells[h - 1][w - 1] = "E"
    return f"{h} {w}\n" + "\n".join("".join(row) for row in cells) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/marsh_walk",
        level="medium",
        examples=2,
        prompt="""# Marsh walk

A map of a marsh is a grid: S is where you stand, E where you want to go, "." is firm ground, "~" is
water and "#" is rock you cannot enter. You move up, down, left or right. Stepping onto firm ground, S
or E costs 1; stepping into water costs 3. Print the cheapest total cost of reaching E, or -1 if E cannot
be reached.

Input format: a line "h w" (1 <= h, w <= 300), then h lines of w characters. There is exactly one S and
exactly one E.

Output format: one integer.

### Example 1
Input:
```
2 4
S~~E
....
```
Output:
```
5
```

### Example 2
Input:
```
1 3
S#E
```
Output:
```
-1
```
""",
        reference="""import heapq
import sys

lines = sys.stdin.read().split("\\n")
h, w = map(int, lines[0].split())
grid = lines[1 : 1 + h]
for i in range(h):
    for j in range(w):
        if grid[i][j] == "S":
            start = (i, j)
        elif grid[i][j] == "E":
            goal = (i, j)
dist = {start: 0}
heap = [(0, start)]
answer = -1
while heap:
    d, (i, j) = heapq.heappop(heap)
    if (i, j) == goal:
        answer = d
        break
    if d > dist[(i, j)]:
        continue
    for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ni, nj = i + di, j + dj
        if 0 <= ni < h and 0 <= nj < w and grid[ni][nj] != "#":
            nd = d + (3 if grid[ni][nj] == "~" else 1)
            if nd < dist.get((ni, nj), 1 << 60):
                dist[(ni, nj)] = nd
                heapq.heappush(heap, (nd, (ni, nj)))
print(answer)
""",
        tests=[
            "1 2\nSE\n",
            "1 2\nES\n",
            "2 2\nS#\n#E\n",
            "1 5\nS~~~E\n",
            "3 5\nS~~~E\n.###.\n.....\n",
            "3 5\nS~~~E\n.#.#.\n.....\n",
            "3 3\n~S~\n~#~\n~E~\n",
            _marsh(8, 9, 0.2, 0.3),
            _marsh(120, 120, 0.2, 0.3),
            _marsh(120, 120, 0.0, 0.5),
            _marsh(100, 120, 0.45, 0.1),
        ],
    )
)

# --- close_pairs -----------------------------------------------------------------------------------------
r = rng("close_pairs")


def _pairs(n: int, d: int, lo: int, hi: int) -> str:
    return f"{n} {d}\n" + " ".join(str(r.randint(lo, hi)) for _ in range(n)) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/close_pairs",
        level="medium",
        examples=2,
        prompt="""Close pairs

Count the pairs of DIFFERENT positions i < j whose values differ by at most d: |a_i - a_j| <= d.

Input format: a line "n d" (1 <= n <= 200000, 0 <= d <= 10^9), then a line with n integers a_1 .. a_n
(|a_i| <= 10^9).

Output format: the number of pairs.

Sample Input 1
```
4 2
1 5 3 4
```
Sample Output 1
```
4
```

Sample Input 2
```
3 0
7 7 7
```
Sample Output 2
```
3
```
""",
        reference="""import sys

data = sys.stdin.read().split()
n, d = int(data[0]), int(data[1])
a = sorted(map(int, data[2 : 2 + n]))
count, left = 0, 0
for right in range(n):
    while a[right] - a[left] > d:
        left += 1
    count += right - left
print(count)
""",
        tests=[
            "1 5\n3\n",
            "2 0\n1 2\n",
            "2 1\n1 2\n",
            "2 1\n2 1\n",
            "3 10\n-5 5 0\n",
            "5 3\n10 1 4 7 13\n",
            "4 1000000000\n-1000000000 1000000000 0 5\n",
            _pairs(30, 5, 0, 40),
            _pairs(20000, 1000, -(10**9), 10**9),
            _pairs(20000, 0, 1, 100),
        ],
    )
)

# --- league_table -----------------------------------------------------------------------------------------
r = rng("league_table")
_TEAMS = ["Otters", "Badgers", "Herons", "Voles", "Newts", "Ospreys", "Rooks", "Stoats"]


def _matches(n: int) -> str:
    out = []
    for _ in range(n):
        a, b = r.sample(_TEAMS, 2)
        out.append(f"{a} {b} {r.randint(0, 4)} {r.randint(0, 4)}")
    return "\n".join(out) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/league_table",
        level="medium",
        examples=1,
        prompt="""# League table

Each input line is a played match: "home away home_goals away_goals" (team names are single words,
compared exactly). A win gives 3 points, a draw 1, a loss 0. Print the table: one line per team that
played, "name points goal_difference", where the goal difference (goals scored minus goals conceded) is
written with a sign: +3, 0 or -2.

Order: more points first; then larger goal difference; then more goals scored; then the name in
alphabetical (code point) order.

### Example 1
Input:
```
Otters Voles 2 0
Voles Herons 1 1
Herons Otters 3 1
```
Output:
```
Herons 4 +2
Otters 3 0
Voles 1 -2
```
""",
        reference="""import sys

table = {}
for line in sys.stdin.read().splitlines():
    parts = line.split()
    if len(parts) != 4:
        continue
    home, away, hg, ag = parts[0], parts[1], int(parts[2]), int(parts[3])
    for team, scored, conceded in ((home, hg, ag), (away, ag, hg)):
        pts, gf, ga = table.get(team, (0, 0, 0))
        pts += 3 if scored > conceded else 1 if scored == conceded else 0
        table[team] = (pts, gf + scored, ga + conceded)
rows = sorted(table.items(), key=lambda kv: (-kv[1][0], -(kv[1][1] - kv[1][2]), -kv[1][1], kv[0]))
for name, (pts, gf, ga) in rows:
    gd = gf - ga
    print(name, pts, f"+{gd}" if gd > 0 else str(gd))
""",
        tests=[
            "A B 0 0\n",
            "A B 1 0\n",
            "B A 1 0\n",
            "A B 2 2\nB A 3 3\n",
            "A B 3 0\nC D 4 1\n",
            "A B 1 0\nC D 2 1\n",
            "b A 1 1\n",
            "Zed Amy 0 1\nAmy Zed 1 0\nBea Cy 5 5\n",
            _matches(20),
            _matches(50000),
        ],
    )
)
