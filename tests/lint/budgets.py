#!/usr/bin/env python3
"""The house's budgets, measured (HACKING.md "The layout"): `make check` runs this.

- no production file (cli/, hook/, policy/, lib/) over 600 lines;
- at most 5 production functions over 60 lines (from the line naming the function to its
  closing brace);
- lib/'s wings include one another only along their arrows (handoff -> host -> journal ->
  base, host -> domain -> base), policy/ includes no header of cli/ or hook/, lib/ none of
  policy/, cli/ or hook/;
- no circle of calls between the files of one folder (a file calls a function of another that
  calls back into it): each folder's files stand on floors.

Prints what it measured; exits 1 with each breach named, as FILE: REASON (fix: FIX).
  budgets.py SRCDIR            measure the tree
  budgets.py --self-test       prove that each rule catches a planted breach
"""
import os
import re
import sys

DIRS = ("cli", "hook", "policy", "lib")
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 60
MAX_LONG_FUNCTIONS = 5
# which folder may include the headers of which (besides its own): the arrows of HACKING.md
ARROWS = {
    "lib/base": set(),
    "lib/journal": {"lib/base"},
    "lib/domain": {"lib/base"},
    "lib/host": {"lib/journal", "lib/domain", "lib/base"},
    "lib/handoff": {"lib/host", "lib/journal", "lib/domain", "lib/base"},
    "policy": {"lib/host", "lib/journal", "lib/domain", "lib/base"},
    "hook": {"policy", "lib/handoff", "lib/host", "lib/journal", "lib/domain", "lib/base"},
    "cli": {"policy", "lib/handoff", "lib/host", "lib/journal", "lib/domain", "lib/base"},
}
FUNC_START = re.compile(r"^([a-z_][a-z0-9_]*)\(")
CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")


def sources(srcdir):
    for d in DIRS:
        for top, dirs, names in os.walk(os.path.join(srcdir, d)):
            dirs.sort()
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    path = os.path.join(top, name)
                    yield os.path.relpath(path, srcdir), path


def folder_of(rel):
    return os.path.dirname(rel)


def functions(text):
    """(name, first line, length, body, is static) of each function defined at the left
    margin"""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = FUNC_START.match(lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            j = i
            while j < len(lines) and lines[j] != "{" and not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and lines[j] == "{":
                k = j
                while k < len(lines) and lines[k] != "}":
                    k += 1
                static = i > 0 and lines[i - 1].startswith("static")
                out.append((m.group(1), i + 1, k - i + 1, "\n".join(lines[j:k]), static))
                i = k
        i += 1
    return out


def measure(srcdir, report=True):
    bad = []
    long_functions = []
    headers = {}  # header name -> folder
    files = list(sources(srcdir))
    for rel, path in files:
        if rel.endswith(".h"):
            headers.setdefault(os.path.basename(rel), folder_of(rel))
    defined = {}  # function (not static) -> file
    local = {}  # file -> its functions
    bodies = {}  # file -> [(function, body)]
    nfiles = 0
    for rel, path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        n = text.count("\n")
        nfiles += 1
        if n > MAX_FILE_LINES:
            bad.append(f"{rel}: {n} lines, over the budget of {MAX_FILE_LINES} "
                       f"(fix: split it into files of one idea each)")
        here = folder_of(rel)
        allowed = ARROWS.get(here)
        for m in re.finditer(r'^#include "([^"]+)"', text, re.M):
            to = headers.get(os.path.basename(m.group(1)))
            if to is None or to == here or allowed is None:
                continue
            if to not in allowed:
                bad.append(f"{rel}: includes {m.group(1)} of {to}/, against the arrows "
                           f"({here}/ may use {', '.join(sorted(allowed)) or 'nothing'}) "
                           f"(fix: move the code to the folder it belongs to)")
        if rel.endswith(".c"):
            bodies[rel] = []
            local[rel] = set()
            for name, line, length, body, static in functions(text):
                local[rel].add(name)
                if not static:
                    defined.setdefault(name, rel)
                bodies[rel].append((name, body))
                if length > MAX_FUNCTION_LINES:
                    long_functions.append((length, f"{rel}:{line}", name))
    # circles of calls between the files of one folder
    calls = {}
    for rel, fns in bodies.items():
        calls[rel] = set()
        for _, body in fns:
            for m in CALL.finditer(body):
                if m.group(1) in local[rel]:
                    continue
                to = defined.get(m.group(1))
                if to is not None and to != rel and folder_of(to) == folder_of(rel):
                    calls[rel].add(to)
    for circle in circles(calls):
        bad.append(f"{circle[0]}: calls and is called back in a circle of files: {', '.join(circle)} "
                   f"(fix: move what the files share into a file of its own that calls none of them)")
    long_functions.sort(reverse=True)
    if report:
        print(f"budgets: {nfiles} production files, none may pass {MAX_FILE_LINES} lines; "
          f"{len(long_functions)} functions over {MAX_FUNCTION_LINES} lines "
              f"(at most {MAX_LONG_FUNCTIONS}):")
        for length, where, name in long_functions:
            print(f"  {length:4d}  {where}  {name}")
    if len(long_functions) > MAX_LONG_FUNCTIONS:
        bad.append(f"{long_functions[0][1]}: {len(long_functions)} functions over "
                   f"{MAX_FUNCTION_LINES} lines, over the budget of {MAX_LONG_FUNCTIONS} "
                   f"(fix: give the longest a helper for one of its steps)")
    return bad


def circles(graph):
    """each strongly connected set of more than one file, as a path through it"""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def self_test():
    import shutil
    import tempfile

    made = []

    def tree(files):
        t = tempfile.mkdtemp()
        made.append(t)
        for rel, text in files.items():
            os.makedirs(os.path.join(t, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(t, rel), "w") as f:
                f.write(text)
        return t

    def fn(name, n, body=""):
        return f"int\n{name}(void)\n{{\n" + body + "    x;\n" * n + "}\n"

    good = {"lib/base/a.h": "int a(void);\n", "lib/base/a.c": fn("a", 3),
            "lib/host/b.c": '#include "a.h"\n' + fn("b", 3, "    a();\n")}
    planted = {
        "a file over 600 lines": {"lib/base/big.c": "x;\n" * 601},
        "six functions over 60 lines": {f"cli/l{i}.c": fn(f"l{i}", 61) for i in range(6)},
        "an arrow back up": {"lib/base/c.c": '#include "b.h"\n', "lib/host/b.h": "int b(void);\n"},
        "lib including policy": {"lib/host/d.c": '#include "p.h"\n', "policy/p.h": "int p(void);\n"},
        "a circle of calls": {"lib/host/e.c": fn("e", 1, "    f();\n"),
                              "lib/host/f.c": fn("f", 1, "    e();\n")},
    }
    ok = not measure(tree(good), False)
    if not ok:
        print("self-test: a tree within every budget was flagged")
    for what, files in planted.items():
        if not measure(tree({**good, **files}), False):
            print(f"self-test: missed {what}")
            ok = False
    for t in made:
        shutil.rmtree(t)
    print("self-test: " + ("each budget catches its planted breach" if ok else "FAILED"))
    return ok


def main():
    if sys.argv[1:] == ["--self-test"]:
        return 0 if self_test() else 1
    if len(sys.argv) != 2:
        print("usage: budgets.py SRCDIR | --self-test", file=sys.stderr)
        return 2
    bad = measure(sys.argv[1])
    for b in bad:
        print(f"budgets: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
