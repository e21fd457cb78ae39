#!/usr/bin/env python3
"""backup-forge.py CASE OUT: a hostile (or damaged) workload archive for backup-restore.test.

Each archive is web's, laid out as `tailpod backup create` writes it (TAILPOD-BACKUP first,
MANIFEST last, rows as applets/backup/manifest.c formats them), so that it reaches the check the
CASE is about: one volume file, plus what CASE adds or spoils."""
import hashlib
import io
import sys
import tarfile

VOL = "home/.local/share/containers/storage/volumes/web-db/_data"
INFO = b"Format=1\nScope=workload\nWorkload=web\nCreated=2026-01-01T00:00:00Z\nHost=h\nLive=no\n"


def esc(s):
    return "".join(c if 0x20 < ord(c) < 0x7F and c != "%" else "%%%02X" % ord(c) for c in s)


def member(kind, name, data=b"", mode=0o644, link="", uid=1, gid=1):
    types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
             "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = types[kind], mode, uid, gid, 1600000000
    ti.linkname = link
    ti.size = len(data) if kind == "file" else 0
    return ti, data


def row(ti, data):
    kind = {tarfile.REGTYPE: "file", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink",
            tarfile.LNKTYPE: "hardlink"}.get(ti.type, "other")
    sha = hashlib.sha256(data).hexdigest() if kind == "file" else "-"
    line = "%s\t%04o\t%d\t%d\t%d\t%s\t%s" % (kind, ti.mode, ti.uid, ti.gid, ti.size, sha,
                                            esc(ti.name))
    return line + ("\t" + esc(ti.linkname) if ti.linkname else "") + "\n"


def forge(case):
    ms = [member("file", "TAILPOD-BACKUP", INFO, 0o600, uid=0, gid=0),
          member("dir", VOL, mode=0o755, uid=0, gid=0),
          member("file", VOL + "/ok", b"ok\n")]
    tamper = None
    pax = {}
    if case == "absolute":
        ms.append(member("file", "/etc/evil", b"x"))
    elif case == "dotdot":
        ms.append(member("file", VOL + "/../../../../../../../../etc/evil", b"x"))
    elif case == "symlink-then-through":
        ms += [member("symlink", VOL + "/l", link="/etc"), member("file", VOL + "/l/evil", b"x")]
    elif case == "hardlink-outside":
        ms.append(member("hardlink", VOL + "/shadow", link="etc/shadow"))
    elif case == "fifo":
        ms.append(member("fifo", VOL + "/fifo"))
    elif case == "device":
        ms.append(member("chr", VOL + "/null"))
    elif case == "setuid":
        ms.append(member("file", VOL + "/suid", b"#!/bin/sh\n", 0o4755))
    elif case == "outside-roots":
        ms.append(member("file", "etc/cron.d/evil", b"* * * * * root sh\n"))
    elif case == "hash-mismatch":
        tamper = VOL + "/ok"
    elif case == "pax-too-big":
        pax = {"comment": "x" * (200 * 1024)}
    elif case == "no-manifest":
        pass
    elif case == "mismatch-midway":  # 300 files and 4 MiB, the 150th spoiled: found mid-extraction
        ms += [member("file", VOL + "/m%03d" % i, b"%d\n" % i * 50) for i in range(300)]
        ms.append(member("file", VOL + "/big", bytes(range(256)) * 16384))
        tamper = VOL + "/m150"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        rows = ""
        for ti, data in ms:
            rows += row(ti, data)
            if ti.name == tamper:
                data = bytes([data[0] ^ 0x20]) + data[1:]  # same size, another byte
            if pax and ti.name == VOL + "/ok":
                ti.pax_headers = pax
            tar.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
        if case != "no-manifest":
            ti, data = member("file", "MANIFEST", rows.encode(), 0o600, uid=0, gid=0)
            tar.addfile(ti, io.BytesIO(data))
    return out.getvalue()


with open(sys.argv[2], "wb") as f:
    f.write(forge(sys.argv[1]))
