"""Easy stdin/stdout fresh problems (invented for codesift; see codesift.bench.fresh)."""

from __future__ import annotations

from _gen import rng

PROBLEMS = []

# --- parking_fees --------------------------------------------------------------------------------------
r = rng("parking_fees")


def _stays(values: list[int]) -> str:
    return f"{len(values)}\n" + " ".join(map(str, values)) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/parking_fees",
        level="easy",
        examples=2,
        prompt="""# Parking fees

The car park by the lake charges each car as follows. A stay of at most 15 minutes is free. A longer stay
costs 2 coins for every started hour, counted from the moment the car arrived (so 61 minutes is two
started hours), but never more than 20 coins for one stay. Compute the day's takings.

Input format: the first line holds n (0 <= n <= 100000), the number of cars; the second line holds the n
stay lengths in minutes (integers, 1 to 10000), separated by spaces (the line is empty when n = 0).

Output format: one integer, the total fee of all cars.

### Example 1
Input:
```
4
10 15 16 70
```
Output:
```
6
```

### Example 2
Input:
```
2
600 61
```
Output:
```
24
```
""",
        reference="""import sys

data = sys.stdin.read().split()
n = int(data[0])
total = 0
for m in map(int, data[1 : 1 + n]):
    if m > 15:
        total += min(20, 2 * ((m + 59) // 60))
print(total)
""",
        tests=[
            "0\n\n",
            _stays([1]),
            _stays([15]),
            _stays([16]),
            _stays([60]),
            _stays([61]),
            _stays([120, 121]),
            _stays([540, 541, 600, 601]),
            _stays([10000]),
            _stays([r.randint(1, 700) for _ in range(30)]),
            _stays([r.randint(1, 10000) for _ in range(30000)]),
        ],
    )
)

# --- warm_streak ----------------------------------------------------------------------------------------
r = rng("warm_streak")


def _temps(values: list[int]) -> str:
    return f"{len(values)}\n" + " ".join(map(str, values)) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/warm_streak",
        level="easy",
        examples=2,
        prompt="""# Warm streak

A weather station logs one temperature a day. A warm streak is a run of consecutive days on which every
day is strictly warmer than the day before it (a single day is a streak of length 1). Find the longest
warm streak; if several are equally long, the earliest one.

## Input
The first line holds n (1 <= n <= 200000). The second line holds n integers, the temperatures of days
1 to n (between -100 and 100).

## Output
Print two integers: the length of the longest warm streak and the day (1-based) on which it starts.

## Examples

Sample Input 1
```
6
3 1 2 5 4 6
```
Sample Output 1
```
3 2
```

Sample Input 2
```
3
7 7 7
```
Sample Output 2
```
1 1
```
""",
        reference="""import sys

data = sys.stdin.read().split()
n = int(data[0])
t = list(map(int, data[1 : 1 + n]))
best, best_start, start = 1, 0, 0
for i in range(1, n):
    if t[i] <= t[i - 1]:
        start = i
    if i - start + 1 > best:
        best, best_start = i - start + 1, start
print(best, best_start + 1)
""",
        tests=[
            _temps([5]),
            _temps([1, 2]),
            _temps([2, 1]),
            _temps([-3, -2, -1, 0]),
            _temps([1, 2, 1, 2]),
            _temps([5, 1, 2, 3, 0, 1, 2, 3]),
            _temps([9, 8, 7, 6]),
            _temps([1, 1, 2, 3, 3, 4, 5, 6]),
            _temps([r.randint(-5, 5) for _ in range(50)]),
            _temps([r.randint(-100, 100) for _ in range(30000)]),
            _temps(list(range(-100, 101)) * 150),
        ],
    )
)

# --- vote_tally --------------------------------------------------------------------------------------------
r = rng("vote_tally")
_NAMES = ["Ana", "ana", " Bo", "BO ", "Chidi", "Zoë", "zoë", "dee"]
PROBLEMS.append(
    dict(
        id="fresh/vote_tally",
        level="easy",
        examples=3,
        prompt="""Vote tally

Each line of the input is one vote: a candidate's name. Names are compared without regard to letter case
and without the spaces around them ("Ana", " ana " and "ANA" are the same candidate). Empty lines are
not votes. Read to the end of the input.

Print the winner's name in lower case, a space, and the number of votes the winner got. When several
candidates share the most votes, the winner is the one whose lower-case name comes first in alphabetical
(code point) order. If there are no votes at all, print NO VOTES.

Sample Input 1
```
Ana
bo
ANA
```
Sample Output 1
```
ana 2
```

Sample Input 2
```
zed
amy
```
Sample Output 2
```
amy 1
```

Sample Input 3
```

```
Sample Output 3
```
NO VOTES
```
""",
        reference="""import sys
from collections import Counter

votes = Counter(line.strip().lower() for line in sys.stdin.read().split("\\n") if line.strip())
if not votes:
    print("NO VOTES")
else:
    top = max(votes.values())
    print(min(name for name, c in votes.items() if c == top), top)
""",
        tests=[
            "\n",
            "solo\n",
            "a\nb\n",
            "b\na\nb\na\n",
            "  Mixed Case  \nmixed case\nMIXED CASE\n",
            "\n\nx\n\n",
            "Zoë\nzoë\nZOË\nanna\n",
            "bo\nBo\nana\nANA\n",
            "first name\nfirst  name\n",
            "".join(r.choice(_NAMES) + "\n" for _ in range(40)),
            "".join(r.choice(_NAMES) + "\n" for _ in range(50000)),
        ],
    )
)

# --- robot_trail ----------------------------------------------------------------------------------------
r = rng("robot_trail")
PROBLEMS.append(
    dict(
        id="fresh/robot_trail",
        level="easy",
        examples=2,
        prompt="""# Robot trail

A robot starts on a square of an endless grid and follows a string of commands: U, D, L and R move it one
square up, down, left or right; every other character of the string (spaces, lower-case letters, digits,
...) is ignored. Report how many different squares the robot stood on, counting the starting square,
and how far it ends from the start in Manhattan distance (|dx| + |dy|).

Input format: one line with the command string (up to 200000 characters; it may be empty).

Output format: two integers separated by a space: the number of different squares and the distance.

### Example 1
Input:
```
URDL
```
Output:
```
4 0
```

### Example 2
Input:
```
RRuLL x D
```
Output:
```
4 1
```
""",
        reference="""import sys

x = y = 0
seen = {(0, 0)}
for ch in sys.stdin.read():
    if ch == "U":
        y += 1
    elif ch == "D":
        y -= 1
    elif ch == "L":
        x -= 1
    elif ch == "R":
        x += 1
    else:
        continue
    seen.add((x, y))
print(len(seen), abs(x) + abs(y))
""",
        tests=[
            "\n",
            "U\n",
            "udlr\n",
            "UUUU\n",
            "UDUDUD\n",
            "RRRRLLLL\n",
            "R U L D R U L D\n",
            "ÜUßD\n",
            "".join(r.choice("UDLR") for _ in range(100)) + "\n",
            "".join(r.choice("UDLRx ") for _ in range(50000)) + "\n",
            "R" * 100000 + "U" * 100000 + "\n",
        ],
    )
)

# --- receipt_total ----------------------------------------------------------------------------------------
r = rng("receipt_total")


def _receipt(n: int) -> str:
    lines = []
    for i in range(n):
        cents = r.randint(1, 99999)
        style = r.random()
        if style < 0.2 and cents % 100 == 0:
            price = str(cents // 100)
        elif style < 0.4 and cents % 10 == 0:
            price = f"{cents // 100}.{cents % 100 // 10}"
        else:
            price = f"{cents // 100}.{cents % 100:02d}"
        lines.append(f"item{i} {price}")
    return "\n".join(lines) + "\n"


PROBLEMS.append(
    dict(
        id="fresh/receipt_total",
        level="easy",
        examples=2,
        prompt="""Receipt total

A shop with no one-cent or two-cent coins rounds every bill to the nearest multiple of 5 cents. Given the
items of one bill, print the rounded total.

**Input.** Each line holds an item: a name (one word) and its price, a non-negative amount written with
at most two decimals ("3.5" and "3.50" both mean three euros fifty, "3" means three euros). There are
at most 100000 items; there may be none.

**Output.** The rounded total with exactly two decimals.

## Examples

Input
```
tea 1.99
bread 2.5
jam 3
```
Output
```
7.50
```

Input
```
gum 0.03
```
Output
```
0.05
```
""",
        reference="""import sys

total = 0
for line in sys.stdin.read().splitlines():
    parts = line.split()
    if len(parts) < 2:
        continue
    price = parts[1]
    whole, _, frac = price.partition(".")
    total += int(whole) * 100 + int((frac + "00")[:2])
total = (total + 2) // 5 * 5
print(f"{total // 100}.{total % 100:02d}")
""",
        tests=[
            "",
            "a 0\n",
            "a 0.01\n",
            "a 0.02\n",
            "a 0.03\n",
            "a 0.07\n",
            "a 0.08\n",
            "a 9.9\nb 0.1\n",
            "a 12\nb 0.5\nc 0.05\n",
            _receipt(20),
            _receipt(20000),
        ],
    )
)

# --- word_frame -------------------------------------------------------------------------------------------------
PROBLEMS.append(
    dict(
        id="fresh/word_frame",
        level="easy",
        examples=2,
        prompt="""# Word frame

Print the words of a line one per line inside a frame of asterisks. Each framed line is an asterisk, a
space, the word padded on the right with spaces to the length of the longest word, a space and an
asterisk; a row of asterisks as wide as the framed lines goes above and below.

Input format: one line with at least one word; words are separated by one or more spaces.

Output format: the framed words (no trailing spaces other than those inside the frame).

### Example 1
Input:
```
Hello big world
```
Output:
```
*********
* Hello *
* big   *
* world *
*********
```

### Example 2
Input:
```
a
```
Output:
```
*****
* a *
*****
```
""",
        reference="""words = input().split()
width = max(len(w) for w in words)
print("*" * (width + 4))
for w in words:
    print("* " + w.ljust(width) + " *")
print("*" * (width + 4))
""",
        tests=[
            "x\n",
            "ab c\n",
            "  spaced   out  \n",
            "one two three four five\n",
            "longestwordhere a\n",
            "naïve café\n",
            "日本 語\n",
            "a b c d e f g h i j\n",
            " ".join("w" * (i % 13 + 1) for i in range(300)) + "\n",
            "x" * 5000 + "\n",
        ],
    )
)

# --- digit_census ---------------------------------------------------------------------------------------------
r = rng("digit_census")
PROBLEMS.append(
    dict(
        id="fresh/digit_census",
        level="easy",
        examples=2,
        prompt="""Digit census

Count how often each decimal digit 0-9 occurs in a text and print one line "d: count" for every digit that
occurs, the most frequent digit first; digits occurring equally often are listed from the smallest digit
up. If the text holds no digit, print none. Only the ASCII digits 0-9 count.

Sample Input 1
```
Call 555-0123 or 555-0199.
```
Sample Output 1
```
5: 6
0: 2
1: 2
9: 2
2: 1
3: 1
```

Sample Input 2
```
no digits here
```
Sample Output 2
```
none
```
""",
        reference="""import sys
from collections import Counter

counts = Counter(ch for ch in sys.stdin.read() if ch in "0123456789")
if not counts:
    print("none")
for d, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"{d}: {c}")
""",
        tests=[
            "\n",
            "0\n",
            "9876543210\n",
            "111 22 3\n",
            "a1b1c2\nd2 e3\n",
            "٣٤٥ 7\n",
            "²³ 0\n",
            "".join(r.choice("0123456789 ab") for _ in range(60)) + "\n",
            "".join(r.choice("0123456789abc\n") for _ in range(50000)) + "\n",
            "5" * 1000 + "4" * 1000 + "\n",
        ],
    )
)
