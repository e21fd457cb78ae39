#!/usr/bin/env python3
"""gen-quadlet-keys.py: write core/quadlet_keys_table.c from Podman's git history.

Reads pkg/systemd/quadlet/quadlet.go at every release tag vX.Y.Z >= v4.4.0 (no release
candidates) and at main, and writes, for every (section, key) quadlet accepted in any of them,
the first version that accepts it and the last release that did when a later one dropped it.
The MULTI and DEPRECATED flags come from quadlet-key-flags.txt beside this script (read by
hand from the Convert* functions; see that file). Run through gen-quadlet-keys.sh.

Fails (status 1, a message naming what) when quadlet.go has a line it cannot parse, a Key*
constant it cannot resolve, a key that disappears and comes back, a key of the newest
release or of main without a line in the flags file, or a flags line naming no known key.
Prints the key count of each section of the table.
"""
import re
import subprocess
import sys

FIRST = (4, 4, 0)
MAIN = "main"
GO_PATH = "pkg/systemd/quadlet/quadlet.go"

KEY_CONST = re.compile(r'^\t*(Key[A-Za-z0-9]+)\s*=\s*"([^"]*)"(.*)$')
GROUP_CONST = re.compile(r'^\t*([A-Za-z]+Group)\s*=\s*"([^"]*)"')
OLD_MAP = re.compile(r'^\t*supported([A-Za-z]+)Keys\s*=\s*map\[string\]bool\s*\{')
GROUP_NAME = re.compile(r'^\t*GroupName:\s*([A-Za-z]+Group),')
NEW_MAP = re.compile(r'^\t*SupportedKeys:\s*map\[string\]bool\s*\{')
MAP_END = re.compile(r'^\t*\}')
MAP_REF = re.compile(r'^\t*(Key[A-Za-z0-9]+)\s*:\s*true,?\s*(//.*)?$')
MAP_LIT = re.compile(r'^\t*"([^"]+)"\s*:\s*true,?\s*(//.*)?$')
BLANK = re.compile(r'^\s*(//.*)?$')


def die(msg):
    sys.stderr.write("gen-quadlet-keys: %s\n" % msg)
    sys.exit(1)


def git(gitdir, *args):
    r = subprocess.run(["git", "--git-dir", gitdir] + list(args), capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        die("git %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def release_tags(gitdir):
    tags = []
    for t in git(gitdir, "tag", "-l", "v*").split():
        m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", t)
        if m and tuple(map(int, m.groups())) >= FIRST:
            tags.append((tuple(map(int, m.groups())), t))
    if not tags:
        die("no release tags v%d.%d.%d or later in %s" % (FIRST + (gitdir,)))
    return sorted(tags)


def parse_quadlet_go(text, where):
    """{section: {key: deprecated_comment}} of one quadlet.go."""
    konst, group, sections = {}, {}, {}
    sec = pending = None
    for n, line in enumerate(text.splitlines(), 1):
        if sec is not None:
            if MAP_END.match(line):
                sec = None
                continue
            m = MAP_REF.match(line)
            if m:
                if m.group(1) not in konst:
                    die("%s:%d: unresolved constant %s" % (where, n, m.group(1)))
                name, deprecated = konst[m.group(1)]
                sections[sec][name] = deprecated
                continue
            m = MAP_LIT.match(line)
            if m:
                sections[sec][m.group(1)] = False
                continue
            if not BLANK.match(line):
                die("%s:%d: unparsed line in a key map: %s" % (where, n, line.strip()))
            continue
        m = KEY_CONST.match(line)
        if m:
            konst[m.group(1)] = (m.group(2), "deprecated" in m.group(3).lower())
            continue
        m = GROUP_CONST.match(line)
        if m:
            group[m.group(1)] = m.group(2)
            continue
        m = OLD_MAP.match(line)
        if m:
            sec = m.group(1)
            sections.setdefault(sec, {})
            continue
        m = GROUP_NAME.match(line)
        if m:
            if m.group(1) not in group:
                die("%s:%d: unresolved group %s" % (where, n, m.group(1)))
            pending = group[m.group(1)]
            continue
        if NEW_MAP.match(line):
            if pending is None:
                die("%s:%d: SupportedKeys without a GroupName before it" % (where, n))
            sec, pending = pending, None
            sections.setdefault(sec, {})
    if sec is not None:
        die("%s: key map of [%s] never ends" % (where, sec))
    if not sections:
        die("%s: no supported-keys maps found" % where)
    return sections


def read_flags(path):
    flags = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) != 3:
                die("%s:%d: want 'Section Key flags'" % (path, n))
            bits = set(line[2].split(",")) - {"-"}
            if bits - {"multi", "deprecated"}:
                die("%s:%d: unknown flag in %s" % (path, n, line[2]))
            if (line[0], line[1]) in flags:
                die("%s:%d: [%s] %s listed twice" % (path, n, line[0], line[1]))
            flags[(line[0], line[1])] = bits
    return flags


def span(present, versions, what):
    """(since, until) of one item from its presence in each version (oldest first)."""
    idx = [i for i, p in enumerate(present) if p]
    if idx != list(range(idx[0], idx[-1] + 1)):
        gone = [versions[i] for i in range(idx[0], idx[-1]) if not present[i]]
        die("%s disappears in %s and comes back: decide by hand" % (what, ", ".join(gone)))
    until = None if present[-1] else versions[idx[-1]]
    if until == MAIN:
        until = None
    return versions[idx[0]], until


def c_version(v):
    if v is None:
        return "PV_NONE"
    if v == MAIN:
        return "PV_MAIN"
    return "PV(%d, %d, %d)" % v


def main():
    if len(sys.argv) != 4:
        die("usage: gen-quadlet-keys.py PODMAN_GIT_DIR FLAGS_FILE OUT_C")
    gitdir, flags_path, out_path = sys.argv[1:]
    tags = release_tags(gitdir)
    versions = [v for v, _ in tags] + [MAIN]
    main_commit = git(gitdir, "rev-parse", "main").strip()
    parsed = [parse_quadlet_go(git(gitdir, "show", "%s:%s" % (t, GO_PATH)), "%s:%s" % (t, GO_PATH))
              for _, t in tags]
    parsed.append(parse_quadlet_go(git(gitdir, "show", "main:" + GO_PATH), "main:" + GO_PATH))
    flags = read_flags(flags_path)

    all_keys = sorted({(s, k) for p in parsed for s in p for k in p[s]})
    all_secs = sorted({s for p in parsed for s in p})
    newest, newest_tag = tags[-1]
    needed = {(s, k) for p in (parsed[-2], parsed[-1]) for s in p for k in p[s]}
    missing = sorted(needed - set(flags))
    if missing:
        die("%s: no line for %s (read the Convert* function and add 'Section Key multi|-')"
            % (flags_path, ", ".join("[%s] %s" % m for m in missing)))
    stale = sorted(set(flags) - set(all_keys))
    if stale:
        die("%s: lines for keys no version has: %s" % (flags_path,
                                                        ", ".join("[%s] %s" % s for s in stale)))
    for s, k in sorted(needed):
        depr = any(p.get(s, {}).get(k) for p in parsed[-2:])
        if depr != ("deprecated" in flags[(s, k)]):
            die("%s: [%s] %s: quadlet.go %s it deprecated" % (
                flags_path, s, k, "marks" if depr else "does not mark"))

    keys = {}
    for s, k in all_keys:
        since, until = span([k in p.get(s, {}) for p in parsed], versions, "[%s] %s" % (s, k))
        keys.setdefault(s, []).append((k, flags.get((s, k), set()), since, until))
    secs = {s: span([s in p for p in parsed], versions, "[%s]" % s) for s in all_secs}
    write_c(out_path, tags, main_commit, keys, secs)
    for s in all_secs:
        print("%s %d" % (s, len(keys[s])))
    print("total %d keys in %d sections, podman %s..%s and main %s" % (
        len(all_keys), len(all_secs), tags[0][1], newest_tag, main_commit[:12]))


def write_c(path, tags, main_commit, keys, secs):
    # Section order: the unit types by name, then [Quadlet], which every file may carry.
    order = sorted(s for s in secs if s != "Quadlet") + [s for s in secs if s == "Quadlet"]
    out = []
    w = out.append
    w("/* quadlet_keys_table.c: generated by third_party/podman/gen-quadlet-keys.sh, do not edit.")
    w(" * Source: podman pkg/systemd/quadlet/quadlet.go at %s" % ", ".join(t for _, t in tags))
    w(" * and main %s. Flags from third_party/podman/quadlet-key-flags.txt. */" % main_commit)
    w('#include "quadlet_keys.h"')
    w("")
    w('#include "core.h"')
    w("")
    w("/* clang-format off */")
    w("#define MULTI QUADLET_KEY_MULTI")
    w("#define DEPRECATED QUADLET_KEY_DEPRECATED")
    w("#define PV(a, b, c) {.major = (a), .minor = (b), .patch = (c)}")
    w("#define PV_MAIN {.major = PODMAN_VERSION_MAIN_MAJOR}")
    w("#define PV_NONE {0}")
    w("")
    for s in order:
        w("static const struct quadlet_key %s_keys[] = {" % s.lower())
        for k, bits, since, until in sorted(keys[s], key=lambda e: e[0].encode()):
            f = "|".join(b.upper() for b in sorted(bits, reverse=True)) or "0"
            w('\t{"%s", %s, %s, %s},' % (k, f, c_version(since), c_version(until)))
        w("};")
        w("")
    w("const struct quadlet_section quadlet_sections[] = {")
    for s in order:
        ext = "NULL" if s == "Quadlet" else '".%s"' % s.lower()
        since, until = secs[s]
        w('\t{"%s", %s, %s_keys, ARRAY_SIZE(%s_keys), %s, %s},' % (
            s, ext, s.lower(), s.lower(), c_version(since), c_version(until)))
    w("};")
    w("/* clang-format on */")
    w("")
    w("_Static_assert(ARRAY_SIZE(quadlet_sections) == QUADLET_SECTION_COUNT,")
    w('\t       "QUADLET_SECTION_COUNT in quadlet_keys.h is not the generated count");')
    w("const struct podman_version quadlet_keys_newest_release = PV(%d, %d, %d);" % tags[-1][0])
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
