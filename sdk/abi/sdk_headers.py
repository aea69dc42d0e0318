"""What the SDK headers declare, read from the headers themselves.

Shared by the abi-suite tests and abi-dump.py, so that a call or a struct
added to any <tessera/*.h> is covered without touching a list.  This is
not a C parser: it understands the subset the SDK is written in
(declarations at file scope, typedef'd structs and enums, static inline
helpers, macros) and nothing more.
"""
import glob
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = os.path.join(HERE, "..", "include", "tessera")


def header_paths(unstable=False):
    """The stable headers; with unstable, <tessera/unstable/*.h> too (calls
    that are exported but carry no ABI promise)."""
    paths = glob.glob(os.path.join(INCLUDE, "*.h"))
    if unstable:
        paths += glob.glob(os.path.join(INCLUDE, "unstable", "*.h"))
    return sorted(paths)


def _strip(text):
    """Comments and preprocessor lines (with their continuations) removed."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    return text.replace("TS_BEGIN_DECLS", " ").replace("TS_END_DECLS", " ")


def _statements(text):
    """File-scope statements: up to a ';' or the '}' closing a body at
    depth 0 (static inline functions)."""
    out, cur, depth = [], [], 0
    for ch in text:
        cur.append(ch)
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and "(" in "".join(cur).split("{")[0] \
                    and "typedef" not in "".join(cur) \
                    and not re.match(r"\s*(struct|union|enum)\b",
                                     "".join(cur)):
                out.append("".join(cur))    # a function body
                cur = []
        elif ch == ";" and depth == 0:
            out.append("".join(cur))
            cur = []
    return [" ".join(s.split()) for s in out if s.strip()]


def _read(path):
    with open(path) as f:
        return _statements(_strip(f.read()))


def functions(unstable=False):
    """{name: normalised prototype} of the functions and data the SDK
    declares for plugins to call (static inline helpers excluded: they
    are compiled into the plugin)."""
    decls = {}
    for path in header_paths(unstable):
        for st in _read(path):
            if st.startswith(("typedef", "static", "struct", "enum",
                              "union")) or "{" in st:
                continue
            m = re.match(r"[^()]*?\b(ts_\w+)\s*\(", st)
            if not m:
                m = re.match(r"extern\b[^()]*?\b(ts_\w+)\s*(\[[^]]*\])?\s*;",
                             st)
            if m:
                decls[m.group(1)] = st.rstrip(";").strip()
    return decls


def _members(body):
    """Member names of a struct body, one level deep (nested anonymous
    unions/structs are flattened: their members are reachable by name)."""
    names = []
    body = re.sub(r"\b(?:struct|union)\s*\w*\s*\{[^{}]*\}\s*(\w+)\s*;",
                  lambda m: "nested %s;" % m.group(1), body)
    body = re.sub(r"\b(?:struct|union)\s*\{([^{}]*)\}\s*;",
                  lambda m: m.group(1), body)
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
        if fp:
            names.append(fp.group(1))
            continue
        # "unsigned a, b, c" / "void *reserved[4]" / "unsigned x : 3"
        first, *rest = decl.split(",")
        for part in [first] + rest:
            part = re.sub(r"\[[^]]*\]|:\s*\d+", "", part).strip()
            m = re.search(r"(\w+)\s*$", part)
            if m:
                names.append(m.group(1))
    return names


def structs():
    """{struct tag: [member names]} of every struct the SDK defines."""
    out = {}
    for path in header_paths():
        with open(path) as f:
            text = _strip(f.read())
        for m in re.finditer(r"\bstruct\s+(\w+)\s*\{", text):
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            out[m.group(1)] = _members(text[m.end():i - 1])
    return out


def enums():
    """{enum tag: [constant names]} of every enum the SDK defines."""
    out = {}
    for path in header_paths():
        with open(path) as f:
            text = _strip(f.read())
        for m in re.finditer(r"\benum\s+(\w+)\s*\{([^}]*)\}", text):
            names = [c.split("=")[0].strip() for c in m.group(2).split(",")]
            out[m.group(1)] = [n for n in names if n]
    return out


def abi_version():
    """(TS_ABI_MAJOR, TS_ABI_MINOR) as plugin.h defines them."""
    with open(os.path.join(INCLUDE, "plugin.h")) as f:
        text = f.read()
    major = re.search(r"#define\s+TS_ABI_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+TS_ABI_MINOR\s+(\d+)", text)
    return int(major.group(1)), int(minor.group(1))
