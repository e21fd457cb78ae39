#!/usr/bin/env python3
# tree-sig.py DIR: one line per entry below DIR (sorted): type, mode, owner, size, mtime in ns,
# link target, hardlink group, xattrs, content hash — what a byte-exact tar round trip keeps.
import hashlib, os, stat, sys

root = sys.argv[1]
first = {}
for dirpath, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(dirs + files):
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, root)
        st = os.lstat(path)
        kind = "l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "f"
        line = [kind, "%04o" % stat.S_IMODE(st.st_mode), "%d:%d" % (st.st_uid, st.st_gid), rel]
        if kind == "l":
            line.append("-> " + os.readlink(path))
        else:
            line.append("mtime=%d" % st.st_mtime_ns)
        if kind == "f":
            line.append("size=%d" % st.st_size)
            line.append("sha=" + hashlib.sha256(open(path, "rb").read()).hexdigest()[:12])
            key = (st.st_dev, st.st_ino)
            line.append("inode=" + first.setdefault(key, rel))
        if kind != "l":
            for x in sorted(os.listxattr(path, follow_symlinks=False)):
                line.append("x:%s=%s" % (x, os.getxattr(path, x, follow_symlinks=False).hex()))
        print(" ".join(line))
