#!/usr/bin/env python3
"""healthy-host.py N WORK SB: a host on which N workloads were deployed and are healthy, written
directly (the sandbox's stubs take ~50 ms a workload; 10 000 of them would take minutes): WORK/repo
and its origin WORK/origin.git (one w#####.container per workload), and in the sandbox SB
(tests/sandbox/lib.sh sandbox_new) what `tailpod sync` and the stubs leave behind — passwd,
group, subuid/subgid lines, a private home with the quadlet, linger, the user manager's bus and
cgroup, the service's cgroup, and sync's record. A no-op sync of it changes nothing: sync.sh
checks that the run reports every workload unchanged. For `make bench`."""
import hashlib
import os
import socket
import subprocess
import sys

n, work, sb = int(sys.argv[1]), sys.argv[2], sys.argv[3]
names = ['w%05d' % i for i in range(1, n + 1)]


def unit_text(i):
    return '[Container]\nImage=docker.io/library/busybox:1.36\nExec=httpd -f -p %d\n' % (8000 + i)


def git(*args, cwd=None):
    subprocess.run(['git', *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


repo = os.path.join(work, 'repo')
os.makedirs(repo)
for i, name in enumerate(names, 1):
    with open(os.path.join(repo, name + '.container'), 'w') as f:
        f.write(unit_text(i))
git('init', '-q', '--bare', '-b', 'main', os.path.join(work, 'origin.git'))
git('init', '-q', '-b', 'main', cwd=repo)
git('add', '-A', cwd=repo)
git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'bench', cwd=repo)
git('push', '-q', os.path.join(work, 'origin.git'), 'main', cwd=repo)
commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=repo, check=True,
                        capture_output=True, text=True).stdout.strip()


def append(path, lines):
    with open(os.path.join(sb, path), 'a') as f:
        f.writelines(lines)


def record(name, uid, data, st):
    """The record, with the stamp a no-op sync keeps once the file settled (issue 16)."""
    unit = name + '.container'
    h = hashlib.sha256(unit.encode() + b'\0' + str(len(data)).encode() + b'\0' + data).hexdigest()
    return ('# tailpod sync: what was deployed for this workload; do not edit\n\n[Workload]\n'
            'Name=%s\nHash=%s\nCommit=%s\nService=%s.service\nUID=%d\nDeployedAt=1796474713\n\n'
            '[Files]\nQuadlet=%s\n\n[Stamps]\nFile=%d %d %d %d %d\n'
            % (name, h, commit, name, uid, unit, st.st_dev, st.st_ino, st.st_size,
               st.st_mtime_ns, st.st_ctime_ns))


uids = range(1001, 1001 + n)
append('etc/passwd', ['%s:x:%d:%d::/home/%s:/sbin/nologin\n' % (w, u, u, w) for w, u in zip(names, uids)])
append('etc/shadow', ['%s:!:20000::::::\n' % w for w in names])
append('etc/gshadow', ['%s:!::\n' % w for w in names])
append('etc/subuid', ['%s:%d:65536\n' % (w, 165536 + 65536 * k) for k, w in enumerate(names)])
append('etc/subgid', ['%s:%d:65536\n' % (w, 165536 + 65536 * k) for k, w in enumerate(names)])
group_path = os.path.join(sb, 'etc/group')
with open(group_path) as f:
    groups = f.read().replace('tailpod:x:990:\n', 'tailpod:x:990:%s\n' % ','.join(names))
with open(group_path, 'w') as f:
    f.write(groups + ''.join('%s:x:%d:\n' % (w, u) for w, u in zip(names, uids)))

cg = os.path.join(sb, 'cgroup/user.slice')
os.makedirs(os.path.join(sb, 'state/workloads'), mode=0o700, exist_ok=True)
for i, (name, uid) in enumerate(zip(names, uids), 1):
    data = unit_text(i).encode()
    home = os.path.join(sb, 'home', name)
    qdir = os.path.join(home, '.config/containers/systemd')
    os.makedirs(qdir, mode=0o700)
    for d in (home, home + '/.config', home + '/.config/containers', qdir):
        os.chmod(d, 0o700)
        os.chown(d, uid, uid)
    unit = os.path.join(qdir, name + '.container')
    with open(os.open(unit, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'wb') as f:
        f.write(data)
    os.chown(unit, uid, uid)
    open(os.path.join(sb, 'var/lib/systemd/linger', name), 'w').close()
    os.makedirs(os.path.join(sb, 'run/user/%d' % uid))
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(sb, 'run/user/%d/bus' % uid))
    s.close()
    mgr = os.path.join(cg, 'user-%d.slice/user@%d.service' % (uid, uid))
    for d in (mgr, os.path.join(mgr, 'app.slice', name + '.service')):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'cgroup.events'), 'w') as f:
            f.write('populated 1\nfrozen 0\n')
        with open(os.path.join(d, 'cgroup.procs'), 'w') as f:
            f.write('4242\n')
    path = os.path.join(sb, 'state/workloads', name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as f:
        f.write(record(name, uid, data, os.stat(unit)))
