"""Cost of one ``Matcher.match`` with 10, 100 and 1,000 routes: it should not grow.

The claim under test: the matcher walks a segment tree, so a match costs what the path
and the rules sharing its prefix cost, not what the number of routes costs. Each size
registers the same four kinds of route, in turn:

- ``/static/page<i>``                       all static, many siblings under one node
- ``/users<i>/<int:id>``                   a static prefix, then an int
- ``/api/<version>/res<i>/<uuid:key>``     a string shared by all, then static, then uuid
- ``/files<i>/<path:rest>``                a static prefix, then the rest of the path

The paths timed hit the first and the last route of each kind, plus one path that
matches nothing; the figure is the median over ``--repeat`` runs of the mean per match.

    python benchmarks/router_match.py
    python benchmarks/router_match.py --number 20 --repeat 3   # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import timeit

from twisted_wsgi_lab.router.matcher import Found, Matcher, NotFound
from twisted_wsgi_lab.router.rules import parse_rule

SIZES = (10, 100, 1000)
KEY = "12345678-abcd-1234-abcd-1234567890ab"


def rule_for(i: int) -> str:
    kind = i % 4
    if kind == 0:
        return f"/static/page{i}"
    if kind == 1:
        return f"/users{i}/<int:id>"
    if kind == 2:
        return f"/api/<version>/res{i}/<uuid:key>"
    return f"/files{i}/<path:rest>"


def path_for(i: int) -> str:
    kind = i % 4
    if kind == 0:
        return f"/static/page{i}"
    if kind == 1:
        return f"/users{i}/42"
    if kind == 2:
        return f"/api/v2/res{i}/{KEY}"
    return f"/files{i}/a/b/c.txt"


def matcher_with(size: int) -> Matcher:
    matcher = Matcher()
    for i in range(size):
        matcher.add(parse_rule(rule_for(i)), frozenset({"GET"}), f"route{i}", i)
    return matcher


def timed_paths(size: int) -> list[list[str]]:
    """The first and last route of each kind, and a miss, as the caller would split them."""
    indices = [*range(4), *range(size - 4, size)]
    paths = [path_for(i) for i in indices] + ["/nothing/here"]
    return [path.split("/") for path in paths]


def per_match_seconds(size: int, *, number: int, repeat: int) -> float:
    matcher = matcher_with(size)
    paths = timed_paths(size)
    for path in paths[:-1]:  # the paths do hit their routes: a benchmark of misses says little
        if not isinstance(matcher.match(path, "GET"), Found):
            raise SystemExit(f"{'/'.join(path)} does not match with {size} routes")
    if not isinstance(matcher.match(paths[-1], "GET"), NotFound):
        raise SystemExit("the miss matched")

    def run() -> None:
        for path in paths:
            matcher.match(path, "GET")

    runs = timeit.repeat(run, number=number, repeat=repeat)
    return statistics.median(runs) / (number * len(paths))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="runs over the paths per repeat")
    parser.add_argument("--repeat", type=int, default=7, help="repeats; the median is kept")
    args = parser.parse_args(argv)
    costs = {n: per_match_seconds(n, number=args.number, repeat=args.repeat) for n in SIZES}
    print(f"{'routes':>6}  {'per match (us)':>14}")
    for size, seconds in costs.items():
        print(f"{size:>6}  {seconds * 1e6:>14.2f}")
    print(f"ratio 1000/10: {costs[1000] / costs[10]:.2f}")


if __name__ == "__main__":
    main()
