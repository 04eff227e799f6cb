#!/usr/bin/env python3
"""Message grammar lint (make check): every message vfio-handoff can show a person, from any
function that prints it or makes the GError it is printed from, is one line of
    THING: REASON (fix: FIX)        (or "warning: THING: REASON (fix: FIX)")
(HACKING.md, vfio-handoff(8) DIAGNOSTICS). It reads the C sources of cli/, hook/, policy/ and
lib/ and checks the format string of every call of the functions below; a conversion (%s, %d,
...) stands for a THING, a REASON or a FIX. A format that only passes on a message made
elsewhere ("%s", or "%s: %s" with a THING in front) is checked where that message is made.

    messages.py SRCDIR            lint the tree (exit 1 and one line per bad message)
    messages.py --self-test       prove the lint can fail: bad strings planted in a copy
"""
import os
import re
import sys

# function -> index of its format argument
FUNCS = {
    "vh_cli_error": 0,
    "g_set_error": 3,
    "g_set_error_literal": 3,
    "g_printerr": 0,
    "fputs": 0,  # only fputs(..., stderr)
    "fprintf": 1,  # only fprintf(stderr, ...)
    "refuse": 2,  # hook/vh-hook-engine.c: refuse(h, device, FORMAT, ...) to stderr and the log
    "vh_hook_log": 4,  # hook/vh-hook-log.c: (device, step, STATUS, usec, FORMAT, ...): checked
    # when STATUS is "failed", "warning" or "wedged", what a person reads in the journal
    "fail": 1,  # hook/vfio-handoff-hook.c: fail(domain, REASON, FIX), which prints
    # "vfio-handoff: DOMAIN: REASON (fix: FIX)"
}
LOGGED = ('"failed"', '"warning"', '"wedged"')
DIRS = ("cli", "hook", "policy", "lib")

CONV = re.compile(r"%(?:\d+\$)?[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|z|j|t|L)?[diouxXcsfgeEp%]")
# one level of parentheses inside REASON and FIX
NEST = r"(?:[^()]|\([^()]*\))"
GRAMMAR = re.compile(r"^(?:warning: )?(?!warning: )[^ ()]+: " + NEST + r"+ \(fix: " + NEST + r"+\)$")
# a message made elsewhere, passed on ("%s"), with context in front ("%s: back on its driver,
# but not its console: %s"): the grammar is checked where the last one is made
PASS_ON = re.compile(r"^(?:warning: )?(?!warning: )(?:(?:S|[^ ()]+): " + NEST + r"*)?S$")

# Reasons that are not messages: each is composed into one at the place named, which the lint
# checks. (file, start of the format) -> where it is composed
REASONS = {
    ("lib/journal/vh-journal.c", "cannot be opened: "): "cli/vh-cli.c vh_cli_unreadable_text()",
    ("lib/journal/vh-journal.c", "not a regular file of at most "): "cli/vh-cli.c vh_cli_unreadable_text()",
    ("lib/journal/vh-journal.c", "cannot be read whole"): "cli/vh-cli.c vh_cli_unreadable_text()",
    ("policy/vh-policy-files.c", "cannot read it"): "a policy issue, FILE: ignored: REASON",
    ("policy/vh-policy-files.c", "not a regular file"): "a policy issue, FILE: ignored: REASON",
    ("policy/vh-policy-files.c", "larger than 1 MiB"): "a policy issue, FILE: ignored: REASON",
    ("policy/vh-policy-files.c", "%s%s"): "a policy issue, DIR: ignored, and every file in it: REASON",
    ("lib/base/vh-units.c", "invalid size "): "a policy issue, FILE:LINE: KEY: REASON",
    ("lib/base/vh-units.c", "invalid duration "): "a policy issue, FILE:LINE: KEY: REASON",
}


def strip_comments(src):
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            out.append("\n" * src.count("\n", i, j + 2))
            i = j + 2
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif c == '"' or c == "'":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(src, start):
    """The arguments of the call whose '(' is at src[start], as source text, and the end."""
    args, depth, cur, i = [], 0, [], start + 1
    while True:
        c = src[i]
        if c in "\"'":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            cur.append(src[i : j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append("".join(cur).strip())
                return args, i
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1


def literal_value(arg):
    """The text of a format argument made of adjacent string literals (and PRI-style macros,
    which stand for a conversion), or None when it is not a literal."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*)', arg)
    if not parts or not any(p[0] or arg.strip().startswith('"') for p in parts):
        return None
    if not arg.strip().startswith('"'):
        return None
    text = []
    for lit, macro in parts:
        if macro:
            text.append("%d")  # G_GUINT64_FORMAT and the like
        else:
            text.append(bytes(lit, "utf-8").decode("unicode_escape", errors="replace"))
    return "".join(text)


def normalize(fmt):
    return CONV.sub(lambda m: "%" if m.group(0) == "%%" else "S", fmt)


def lint_file(path, rel):
    bad = []
    src = strip_comments(open(path, encoding="utf-8").read()).replace("\\\n", " \n")
    for m in re.finditer(r"\b(" + "|".join(FUNCS) + r")\s*\(", src):
        name = m.group(1)
        line = src.count("\n", 0, m.start()) + 1
        args, _ = split_args(src, m.end() - 1)
        if name == "fprintf" and args[0] != "stderr":
            continue
        if name == "fputs" and (len(args) < 2 or args[1] != "stderr"):
            continue
        if name == "vh_hook_log" and (len(args) < 3 or args[2] not in LOGGED):
            continue
        if name == "fail":
            # hook/vfio-handoff-hook.c: fail(domain, REASON, FIX) prints "DOMAIN: REASON (fix:
            # FIX)"; each REASON it may be given, and its FIX, are literals in their places
            if rel != "hook/vfio-handoff-hook.c" or len(args) != 3 or "const char" in args[0]:
                continue
            reasons = re.findall(r'"((?:[^"\\]|\\.)*)"', args[1])
            fix = literal_value(args[2])
            if not reasons or fix is None:
                bad.append(f"{rel}:{line}: fail: REASON and FIX must be literals")
            for reason in reasons:
                norm = normalize(f"%s: {reason} (fix: {fix})")
                if not GRAMMAR.match(norm):
                    bad.append(f"{rel}:{line}: fail: not 'THING: REASON (fix: FIX)': {norm}")
            continue
        idx = FUNCS[name]
        if len(args) <= idx:
            continue
        fmt = literal_value(args[idx])
        if fmt is None:
            # a message chosen at run time: every literal it may be must pass on its own
            lits = re.findall(r'"((?:[^"\\]|\\.)*)"', args[idx])
            if lits and name != "fprintf":
                bad.append(f"{rel}:{line}: {name}: a format that is not a literal")
            continue
        if name in ("fprintf", "g_printerr", "fputs"):
            fmt = re.sub(r"^vfio-handoff(?:-hook)?: ", "", fmt)
        if name == "refuse":
            fmt = "%s: " + fmt  # refuse() prints "vfio-handoff: DOMAIN: " in front
        fmt = fmt.rstrip("\n")
        if any(rel == f and fmt.startswith(start) for f, start in REASONS):
            continue
        norm = normalize(fmt)
        if "\n" in norm:
            bad.append(f"{rel}:{line}: {name}: more than one line: {fmt!r}")
        elif not (GRAMMAR.match(norm) or PASS_ON.match(norm)):
            bad.append(f"{rel}:{line}: {name}: not 'THING: REASON (fix: FIX)': {fmt}")
    return bad


def lint_tree(srcdir):
    bad = []
    for d in DIRS:
        for top, dirs, names in sorted(os.walk(os.path.join(srcdir, d))):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(".c"):
                    path = os.path.join(top, name)
                    bad += lint_file(path, os.path.relpath(path, srcdir))
    return bad


def self_test():
    import tempfile

    ok = True
    planted = {
        'vh_cli_error("cannot do it: %s", x);': True,
        'g_set_error(error, VH_ERROR, VH_ERROR_FAILED, "%s did not bind", x);': True,
        'fprintf(stderr, "vfio-handoff: oops\\n");': True,
        'vh_cli_error("%s: gone (fix: run \'vfio-handoff list\')", x);': False,
        'g_set_error(e, Q, 1, "%s: held (fix: stop %s (pid %d) first)", a, b, c);': False,
        'vh_cli_error("%s", error->message);': False,
        'vh_cli_error("warning: the IOMMU is off (fix: run it)");': True,
    }
    for code, is_bad in planted.items():
        with tempfile.TemporaryDirectory() as t:
            os.makedirs(os.path.join(t, "cli"))
            for d in DIRS[1:]:
                os.makedirs(os.path.join(t, d))
            with open(os.path.join(t, "cli", "planted.c"), "w") as f:
                f.write("void f(void)\n{\n    " + code + "\n}\n")
            found = bool(lint_tree(t))
            if found != is_bad:
                print(f"self-test: {'missed' if is_bad else 'wrongly flagged'}: {code}")
                ok = False
    print("self-test: " + ("the lint catches every planted bad message" if ok else "FAILED"))
    return ok


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(0 if self_test() else 1)
    if len(sys.argv) != 2:
        print("usage: messages.py SRCDIR | --self-test", file=sys.stderr)
        sys.exit(2)
    problems = lint_tree(sys.argv[1])
    for p in problems:
        print(p)
    print(f"messages: {len(problems)} outside the grammar")
    sys.exit(1 if problems else 0)
