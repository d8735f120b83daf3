"""Hard stdin/stdout fresh problems (invented for codesift; see codesift.bench.fresh)."""

from __future__ import annotations

from _gen import rng

PROBLEMS = []

# --- festival_plan -----------------------------------------------------------------------------------------
r = rng("festival_plan")


def _shows(n: int, b: int, span: int, longest: int) -> str:
    lines = []
    for _ in range(n):
        s = r.randint(0, span)
        lines.append(f"{s} {s + r.randint(1, longest)} {r.randint(1, 10**6)}")
    return f"{n} {b}\n" + "\n".join(lines) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/festival_plan",
        level="hard",
        examples=2,
        prompt="""# Festival plan

A festival has n shows; show i runs over the minutes [s_i, e_i) and would bring you j_i units of joy.
You can watch a show only from its start to its end, and after a show that ends at minute e you need b
minutes to walk to the next stage: the next show you watch must start at minute e + b or later. Choose
shows to maximise the total joy.

## Input
The first line holds n and b (1 <= n <= 100000, 0 <= b <= 10^9). Each of the next n lines holds s_i, e_i
and j_i (0 <= s_i < e_i <= 2*10^9, 1 <= j_i <= 10^6).

## Output
Print the largest total joy.

## Examples

Input
```
3 2
0 10 5
11 20 5
12 30 7
```
Output
```
12
```

Input
```
2 0
0 5 1
5 9 1
```
Output
```
2
```
""",
        reference="""import sys
from bisect import bisect_right

data = sys.stdin.read().split()
n, b = int(data[0]), int(data[1])
shows = sorted(
    (int(data[2 + 3 * i + 1]), int(data[2 + 3 * i]), int(data[2 + 3 * i + 2])) for i in range(n)
)
ends = [e for e, _, _ in shows]
best = [0] * (n + 1)
for i, (e, s, j) in enumerate(shows):
    k = bisect_right(ends, s - b, 0, i)
    best[i + 1] = max(best[i], best[k] + j)
print(best[n])
""",
        tests=[
            "1 0\n0 1 5\n",
            "2 0\n0 5 1\n4 9 3\n",
            "2 1\n0 5 1\n5 9 1\n",
            "2 1\n0 5 1\n6 9 1\n",
            "3 0\n0 10 10\n0 5 6\n5 10 6\n",
            "3 1000000000\n0 1 1\n1000000001 1000000002 1\n5 6 1\n",
            "4 2\n0 3 4\n5 8 4\n1 9 9\n10 12 1\n",
            _shows(15, 3, 100, 30),
            _shows(10000, 5, 10**9, 10**5),
            _shows(10000, 0, 10**6, 1000),
        ],
    )
)

# --- critical_roads ----------------------------------------------------------------------------------------
r = rng("critical_roads")


def _roads(n: int, m: int, extra_loops: int = 0) -> str:
    edges = [(r.randint(1, n), r.randint(1, n)) for _ in range(m)]
    edges += [(v, v) for v in (r.randint(1, n) for _ in range(extra_loops))]
    return f"{n} {len(edges)}\n" + "\n".join(f"{u} {v}" for u, v in edges) + "\n"


def _tree_with_cycles(n: int) -> str:
    edges = [(i, r.randint(max(1, i - 3), i - 1)) for i in range(2, n + 1)]
    edges += [(r.randint(1, n), r.randint(1, n)) for _ in range(n // 10)]
    return f"{n} {len(edges)}\n" + "\n".join(f"{u} {v}" for u, v in edges) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/critical_roads",
        level="hard",
        examples=2,
        prompt="""Critical roads

A region has n villages (numbered 1 to n) and m two-way roads. A road is critical when closing it alone
would leave some two villages that are connected today without any route between them. Two roads may
join the same two villages (then neither of them is critical), and a road may lead from a village back to
itself (such a road is never critical). The villages need not all be connected to each other.

Input format: the first line holds n and m (1 <= n <= 100000, 0 <= m <= 200000); each of the next m lines
holds a road's two ends u and v.

Output format: the number of critical roads.

### Example 1
Input:
```
4 4
1 2
2 3
3 1
3 4
```
Output:
```
1
```

### Example 2
Input:
```
3 3
1 2
1 2
2 3
```
Output:
```
1
```
""",
        reference="""import sys

def main():
    data = sys.stdin.buffer.read().split()
    n, m = int(data[0]), int(data[1])
    adj = [[] for _ in range(n + 1)]
    for i in range(m):
        u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
        if u != v:
            adj[u].append((v, i))
            adj[v].append((u, i))
    order = [0] * (n + 1)
    low = [0] * (n + 1)
    counter = 0
    bridges = 0
    for root in range(1, n + 1):
        if order[root]:
            continue
        counter += 1
        order[root] = low[root] = counter
        stack = [(root, -1, iter(adj[root]))]
        while stack:
            v, via, it = stack[-1]
            advanced = False
            for w, e in it:
                if e == via:
                    continue
                if order[w]:
                    low[v] = min(low[v], order[w])
                else:
                    counter += 1
                    order[w] = low[w] = counter
                    stack.append((w, e, iter(adj[w])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[v])
                    if low[v] > order[parent]:
                        bridges += 1
    print(bridges)

main()
""",
        tests=[
            "1 0\n",
            "2 1\n1 2\n",
            "2 2\n1 2\n2 1\n",
            "1 1\n1 1\n",
            "3 2\n1 2\n2 3\n",
            "4 2\n1 2\n3 4\n",
            "5 5\n1 2\n2 3\n3 1\n4 5\n5 5\n",
            "6 7\n1 2\n2 3\n3 1\n3 4\n4 5\n5 6\n6 4\n",
            _roads(12, 14, 2),
            _roads(20000, 20000, 50),
            "20000 19999\n" + "\n".join(f"{i} {i + 1}" for i in range(1, 20000)) + "\n",
            _tree_with_cycles(20000),
        ],
    )
)

# --- smallest_sums ----------------------------------------------------------------------------------------
r = rng("smallest_sums")


def _sums(n: int, m: int, k: int, hi: int) -> str:
    a = " ".join(str(r.randint(0, hi)) for _ in range(n))
    b = " ".join(str(r.randint(0, hi)) for _ in range(m))
    return f"{n} {m} {k}\n{a}\n{b}\n"


PROBLEMS.append(
    dict(
        id="fresh/smallest_sums",
        level="hard",
        examples=2,
        prompt="""Smallest sums

Given two lists A (n numbers) and B (m numbers), consider all n * m sums A[i] + B[j], one for every pair
of positions (equal sums from different pairs all count). Print the k smallest of them in ascending order.

Input format: a line "n m k" (1 <= n, m <= 100000, 1 <= k <= min(n * m, 50000)), a line with A and a line
with B (integers between 0 and 10^6).

Output format: one line with the k sums separated by single spaces.

Sample Input 1
```
3 2 4
1 7 3
2 2
```
Sample Output 1
```
3 3 5 5
```

Sample Input 2
```
2 2 3
10 20
1 5
```
Sample Output 2
```
11 15 21
```
""",
        reference="""import heapq
import sys

data = sys.stdin.read().split()
n, m, k = int(data[0]), int(data[1]), int(data[2])
a = sorted(map(int, data[3 : 3 + n]))
b = sorted(map(int, data[3 + n : 3 + n + m]))
heap = [(a[0] + b[j], 0, j) for j in range(min(m, k))]
heapq.heapify(heap)
out = []
while len(out) < k:
    s, i, j = heapq.heappop(heap)
    out.append(s)
    if i + 1 < n:
        heapq.heappush(heap, (a[i + 1] + b[j], i + 1, j))
print(" ".join(map(str, out)))
""",
        tests=[
            "1 1 1\n0\n0\n",
            "1 3 3\n5\n3 1 2\n",
            "3 1 3\n5 0 9\n1\n",
            "2 2 4\n1 1\n1 1\n",
            "2 3 6\n0 100\n1 2 3\n",
            _sums(5, 4, 20, 10),
            _sums(15000, 15000, 15000, 10**6),
            _sums(300, 200, 20000, 1000),
            _sums(15000, 1, 1000, 10**6),
            _sums(1, 30000, 777, 5),
        ],
    )
)

# --- ragged_text ------------------------------------------------------------------------------------------
r = rng("ragged_text")


def _text(width: int, words: int) -> str:
    return (
        f"{width}\n"
        + " ".join("".join(r.choice("abcdefgh") for _ in range(r.randint(1, min(width, 9)))) for _ in range(words))
        + "\n"
    )


PROBLEMS.append(
    dict(
        id="fresh/ragged_text",
        level="hard",
        examples=2,
        prompt="""# Least ragged text

Words must be broken into lines of at most W characters, in their order, with single spaces between the
words of a line. The raggedness of a line with c characters is (W - c)^2, except that the LAST line is
free (its raggedness is 0). Print the smallest possible total raggedness.

Input format: the first line holds W (1 <= W <= 100). The rest of the input is the text: up to 5000
words separated by spaces and line breaks, none longer than W. The text may be empty.

Output format: one integer.

### Example 1
Input:
```
6
aaa bb cc ddddd
```
Output:
```
10
```

### Example 2
Input:
```
5
hello
world
```
Output:
```
0
```
""",
        reference="""import sys

data = sys.stdin.read().split()
w = int(data[0])
words = data[1:]
n = len(words)
best = [0] * (n + 1)
for i in range(n - 1, -1, -1):
    length = -1
    choice = None
    for j in range(i, n):
        length += len(words[j]) + 1
        if length > w:
            break
        cost = 0 if j == n - 1 else (w - length) ** 2 + best[j + 1]
        if choice is None or cost < choice:
            choice = cost
    best[i] = choice
print(best[0])
""",
        tests=[
            "5\n",
            "3\nabc\n",
            "3\na b\n",
            "3\na b c\n",
            "10\nthe quick brown fox jumps over the lazy dog\n",
            "4\naa aa aa aa aa\n",
            "7\naaaa bb cc dddd e\n",
            _text(12, 40),
            _text(100, 5000),
            _text(15, 5000),
            "1\n" + " ".join("x" for _ in range(3000)) + "\n",
        ],
    )
)

# --- exact_change ------------------------------------------------------------------------------------------
r = rng("exact_change")


def _till(amount: int, kinds: int, most: int) -> str:
    values = r.sample(range(1, 200), kinds)
    return f"{amount} {kinds}\n" + "\n".join(f"{v} {r.randint(0, most)}" for v in values) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/exact_change",
        level="hard",
        examples=3,
        prompt="""Exact change

A ticket machine must pay out exactly A cents from a till that holds, for each coin value, only a limited
number of coins. Print the fewest coins that make exactly A, or -1 if the till cannot make A at all.

Input format: a line "A t" (0 <= A <= 5000, 1 <= t <= 10): the amount and the number of coin values. Then
t lines "value count" (1 <= value <= 5000, 0 <= count <= 1000); the values are distinct.

Output format: one integer.

Sample Input 1
```
6 2
1 10
3 1
```
Sample Output 1
```
4
```

Sample Input 2
```
7 2
2 5
4 5
```
Sample Output 2
```
-1
```

Sample Input 3
```
0 1
5 0
```
Sample Output 3
```
0
```
""",
        reference="""import sys

data = sys.stdin.read().split()
amount, t = int(data[0]), int(data[1])
INF = 1 << 30
best = [0] + [INF] * amount
for i in range(t):
    value, count = int(data[2 + 2 * i]), int(data[3 + 2 * i])
    k = 1
    while count > 0:
        take = min(k, count)
        count -= take
        k *= 2
        w = value * take
        for s in range(amount, w - 1, -1):
            c = best[s - w] + take
            if c < best[s]:
                best[s] = c
print(best[amount] if best[amount] < INF else -1)
""",
        tests=[
            "0 1\n1 0\n",
            "1 1\n1 0\n",
            "1 1\n1 1\n",
            "10 1\n5 1\n",
            "10 1\n5 2\n",
            "8 3\n1 8\n4 1\n6 1\n",
            "8 3\n1 8\n4 2\n6 1\n",
            "5000 1\n1 1000\n",
            _till(97, 4, 3),
            _till(5000, 10, 1000),
            _till(4999, 10, 40),
            "5000 10\n" + "\n".join(f"{v} 1000" for v in (4999, 2500, 1250, 625, 313, 157, 79, 40, 20, 10)) + "\n",
        ],
    )
)

# --- last_coat ----------------------------------------------------------------------------------------------
r = rng("last_coat")


def _coats(m: int, n: int, colours: int) -> str:
    lines = []
    for _ in range(n):
        a, b = sorted((r.randint(1, m), r.randint(1, m)))
        lines.append(f"{a} {b} {r.randint(1, colours)}")
    return f"{m} {n}\n" + "\n".join(lines) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/last_coat",
        level="hard",
        examples=2,
        prompt="""Last coat

A fence has m planks numbered 1 to m, all unpainted. Painters come one after another; painter i paints
planks l_i to r_i (both included) in colour c_i, covering whatever colour those planks had. After all
painters are done, report for every colour that can still be seen how many planks have it, by colour
number ascending, as lines "colour count". If no plank is painted, print the single word bare.

**Input**

The first line holds m and n (1 <= m <= 200000, 0 <= n <= 200000). Each of the next n lines holds l_i,
r_i and c_i (1 <= l_i <= r_i <= m, 1 <= c_i <= 10^9).

**Output**

The colour lines, or bare.

**Example 1**

Input:
```
10 3
1 5 7
3 8 2
4 4 7
```
Output:
```
2 5
7 3
```

**Example 2**

Input:
```
4 0
```
Output:
```
bare
```
""",
        reference="""import sys

def main():
    data = sys.stdin.buffer.read().split()
    m, n = int(data[0]), int(data[1])
    nxt = list(range(m + 2))

    def find(x):
        root = x
        while nxt[root] != root:
            root = nxt[root]
        while nxt[x] != root:
            nxt[x], x = root, nxt[x]
        return root

    counts = {}
    for i in range(n - 1, -1, -1):
        l, r, c = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
        x = find(l)
        while x <= r:
            counts[c] = counts.get(c, 0) + 1
            nxt[x] = x + 1
            x = find(x + 1)
    if not counts:
        print("bare")
    for c in sorted(counts):
        print(c, counts[c])

main()
""",
        tests=[
            "1 0\n",
            "1 1\n1 1 9\n",
            "3 2\n1 3 1\n1 3 2\n",
            "3 2\n1 3 2\n2 2 1\n",
            "5 3\n1 1 4\n5 5 4\n2 4 1000000000\n",
            "6 2\n1 3 5\n4 6 5\n",
            _coats(20, 8, 4),
            _coats(15000, 15000, 1000),
            _coats(15000, 15000, 10**9),
            "200000 1\n1 200000 3\n",
        ],
    )
)
