#!/usr/bin/env python3
"""The layout rules of core/README.md, checked on the source tree.

1. A file name is used once across the core's folders.
2. An include of another core folder's header names the folder
   ("monitor/qmp.h"); a bare name is a header of the including file's own
   folder.
3. A folder's *-internal.h is included only from that folder.
4. Plugins and the SDK include no core header: a plugin sees
   <tessera/*.h> and its own folder only.

Unit tests (tests/, plugins/*/tests/) are white-box and may include any
core header (rule 2 still
applies to them: they name the folder).  The checker first runs on a copy
of the tree with one violation of each rule planted, and must catch every
one of them; a checker that cannot fail proves nothing.
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tap  # noqa: E402

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# Headers the build generates outside core/ (the build root's config.h).
GENERATED = {"config.h"}


def source_files(root, top):
    for dirpath, dirs, files in os.walk(os.path.join(root, top)):
        dirs[:] = [d for d in dirs if d != "build"]
        for name in files:
            if name.endswith((".c", ".h")):
                yield os.path.join(dirpath, name)


def check(root):
    """Every violation of the rules in the tree at root, as text lines."""
    problems = []
    core = os.path.join(root, "core")
    folders = sorted(d for d in os.listdir(core)
                     if os.path.isdir(os.path.join(core, d)))
    seen = {}
    for folder in folders:
        for name in os.listdir(os.path.join(core, folder)):
            if name == "meson.build" or name.endswith(".md"):
                continue
            if name in seen:
                problems.append("core/%s/%s: the name is used in core/%s/ too"
                                % (folder, name, seen[name]))
            seen[name] = folder

    def core_header(path):
        return os.path.isfile(os.path.join(core, path))

    for top in ("core", "tests", "plugins", "sdk"):
        for path in source_files(root, top):
            rel = os.path.relpath(path, root)
            parts = rel.split(os.sep)
            own = parts[1] if top == "core" and len(parts) > 2 else None
            text = open(path, encoding="utf-8", errors="replace").read()
            for inc in INCLUDE.findall(text):
                if inc in GENERATED and top in ("core", "tests"):
                    continue
                here = os.path.join(os.path.dirname(path), inc)
                if top in ("plugins", "sdk") and "tests" not in parts:
                    if "/" in inc and core_header(inc) and \
                            not os.path.isfile(here):
                        problems.append("%s: includes core header \"%s\" "
                                        "(plugins see <tessera/*.h> only)"
                                        % (rel, inc))
                    continue
                if "/" not in inc:
                    if top == "core" and not os.path.isfile(here):
                        problems.append("%s: \"%s\" is not in core/%s/: name "
                                        "its folder" % (rel, inc, own))
                    continue
                folder = inc.split("/")[0]
                if top == "core" and not core_header(inc):
                    problems.append("%s: \"%s\" does not exist" % (rel, inc))
                    continue
                if top == "core" and inc.endswith("-internal.h") and \
                        folder != own:
                    problems.append("%s: includes core/%s, internal to "
                                    "core/%s/" % (rel, inc, folder))
    return problems


def plant_violations(root):
    """One break of each rule, in a copy of the tree."""
    core = os.path.join(root, "core")
    folders = sorted(d for d in os.listdir(core)
                     if os.path.isdir(os.path.join(core, d)))
    a, b = folders[0], folders[1]
    internal = None
    for folder in folders:
        for name in os.listdir(os.path.join(core, folder)):
            if name.endswith("-internal.h"):
                internal = "%s/%s" % (folder, name)
    other = next(f for f in folders if f != internal.split("/")[0])
    bare = next(n for n in os.listdir(os.path.join(core, b))
                if n.endswith(".h"))
    with open(os.path.join(core, other, "planted-2.c"), "w") as f:
        f.write('#include "%s"\n' % internal)          # rule 3
    with open(os.path.join(core, a, "planted-3.c"), "w") as f:
        f.write('#include "%s"\n' % bare)              # rule 2
    with open(os.path.join(core, b, "planted-3.c"), "w") as f:
        f.write("\n")                                  # rule 1
    os.makedirs(os.path.join(root, "plugins", "planted"), exist_ok=True)
    with open(os.path.join(root, "plugins", "planted", "p.c"), "w") as f:
        f.write('#include "%s/%s"\n' % (b, bare))      # rule 4


def main():
    t = tap.Tap()
    root = os.path.abspath(tap.SOURCE)
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "src")
        for top in ("core", "tests", "plugins", "sdk"):
            shutil.copytree(os.path.join(root, top), os.path.join(copy, top),
                            ignore=shutil.ignore_patterns("build*", "*.o"))
        plant_violations(copy)
        found = "\n".join(check(copy))
        for rule, words in ((1, "the name is used"), (2, "name its folder"),
                            (3, "internal to"), (4, "includes core header")):
            t.ok(words in found, "a planted break of rule %d is caught" % rule,
                 found)
    problems = check(root)
    t.ok(not problems, "the source tree follows core/README.md's rules",
         "\n".join(problems))
    # Every folder is one of the subsystems core/README.md describes
    # (block/ joined with the block layer), and every one it describes is
    # there.
    core = os.path.join(root, "core")
    folders = sorted(d for d in os.listdir(core)
                     if os.path.isdir(os.path.join(core, d)) and
                     not d.startswith("build"))
    readme = open(os.path.join(core, "README.md")).read()
    described = sorted(re.findall(r"^- \*\*(\w+)/\*\*", readme, re.M))
    t.ok(folders == described, "core/README.md describes exactly the core's "
         "folders", "folders: %s\ndescribed: %s" % (folders, described))
    t.ok("block" in folders, "core/block/ exists (the block layer)")
    t.done()


if __name__ == "__main__":
    main()
