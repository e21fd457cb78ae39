/*
 * seccomp.c: see seccomp.h. A classic BPF program: check the architecture, then compare the
 * call number with each allowed one; socket() is allowed for local, IPv4 and IPv6 sockets only
 * (the git host, the DNS resolver), clone() for threads only; everything else kills the
 * process. The list was taken from
 * strace of fetches over file://, git://, https and ssh on x86_64 and aarch64 (tests/peers/
 * git.test and ssh.test run every transport through this filter).
 */
#include "seccomp.h"

#include "core.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* clone3 is 435 on every architecture (the unified numbering since Linux 5.1). */
#ifdef SYS_clone3
#define SYSCALL_CLONE3 SYS_clone3
#else
#define SYSCALL_CLONE3 435
#endif

#if defined(__x86_64__)
#define SECCOMP_NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* Calls a fetch makes. Names that one architecture lacks (aarch64 has only the *at forms)
 * are guarded by #ifdef. */
static const long allowed[] = {
	/* files below the fetch directory (libgit2 probes symlink support when it creates a
	 * repository) */
	SYS_read,
	SYS_write,
	SYS_readv,
	SYS_writev,
	SYS_pread64,
	SYS_pwrite64,
	SYS_lseek,
	SYS_close,
	SYS_openat,
	SYS_newfstatat,
	SYS_fstat,
	SYS_statx,
	SYS_fstatfs,
	SYS_getdents64,
	SYS_mkdirat,
	SYS_unlinkat,
	SYS_linkat,
	SYS_symlinkat,
	SYS_readlinkat,
	SYS_faccessat,
	SYS_fchmod,
	SYS_fchmodat,
	SYS_fsync,
	SYS_fdatasync,
	SYS_ftruncate,
	SYS_utimensat,
	SYS_fcntl,
	SYS_dup,
	SYS_dup3,
	SYS_umask,
	SYS_getcwd,
#ifdef SYS_renameat
	SYS_renameat,
#endif
#ifdef SYS_renameat2
	SYS_renameat2,
#endif
#ifdef SYS_faccessat2
	SYS_faccessat2,
#endif
#ifdef SYS_open
	SYS_open,
	SYS_stat,
	SYS_lstat,
	SYS_mkdir,
	SYS_rename,
	SYS_unlink,
	SYS_rmdir,
	SYS_link,
	SYS_readlink,
	SYS_symlink,
	SYS_access,
	SYS_chmod,
	SYS_dup2,
	SYS_poll,
	SYS_select,
#endif
	/* memory, signals, time, identity (read only) */
	SYS_mmap,
	SYS_munmap,
	SYS_mremap,
	SYS_mprotect,
	SYS_brk,
	SYS_madvise,
	SYS_rt_sigaction,
	SYS_rt_sigprocmask,
	SYS_rt_sigreturn,
	SYS_sigaltstack,
	SYS_clock_gettime,
	SYS_clock_nanosleep,
	SYS_nanosleep,
	SYS_gettimeofday,
	SYS_getpid,
	SYS_gettid,
	SYS_getuid,
	SYS_geteuid,
	SYS_getgid,
	SYS_getegid,
	SYS_getppid,
	SYS_exit,
	SYS_exit_group,
	SYS_futex,
	SYS_set_tid_address,
	SYS_sched_yield,
	SYS_sched_getaffinity,
	SYS_getrandom,
	SYS_uname,
	SYS_prlimit64,
	SYS_getrlimit,
	SYS_set_robust_list,
#ifdef SYS_rseq
	SYS_rseq, /* glibc registers it in every new thread (the unit test runs on glibc) */
#endif
	/* the network: socket() itself is checked separately */
	SYS_connect,
	SYS_ppoll,
	SYS_pselect6,
	SYS_sendto,
	SYS_recvfrom,
	SYS_sendmsg,
	SYS_recvmsg,
	SYS_getsockopt,
	SYS_setsockopt,
	SYS_getsockname,
	SYS_getpeername,
	SYS_shutdown,
	SYS_bind,
};

enum {
	HEAD_LEN = 6,	/* architecture check, load of the number, x32 check */
	SOCKET_LEN = 7, /* the socket() block */
	CLONE_LEN = 7,	/* the clone() and clone3() block */
	FILTER_MAX = HEAD_LEN + SOCKET_LEN + CLONE_LEN + 2 * ARRAY_SIZE(allowed) + 1,
	SYSCALL_ARG0 = offsetof(struct seccomp_data, args[0]), /* the low half on little-endian */
};

#define STMT(code, k)	    ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, t, f) ((struct sock_filter)BPF_JUMP(code, k, t, f))

static size_t put_head(struct sock_filter *f)
{
	size_t n = 0;

	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_NATIVE_ARCH, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	/* x32 calls are the same numbers with bit 30 set */
	f[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
	return n;
}

/* socket(AF_UNIX | AF_INET | AF_INET6, ...) only; another family fails with EAFNOSUPPORT. */
static size_t put_socket(struct sock_filter *f)
{
	size_t n = 0;

	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 6); /* not socket: past the block */
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, SYSCALL_ARG0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 3, 0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA));
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

/* clone() for a thread only (libgit2 builds and indexes packs in threads): a new process would
 * escape nothing (it inherits the filter) but has no business here. clone3() keeps its flags in
 * memory the filter cannot read: ENOSYS, on which C libraries fall back to clone(). */
static size_t put_clone(struct sock_filter *f)
{
	size_t n = 0;

	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYSCALL_CLONE3, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));

	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4); /* not clone: past the block */
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, SYSCALL_ARG0);
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

int seccomp_install_fetch_filter(void)
{
#ifdef SECCOMP_NATIVE_ARCH
	struct sock_filter f[FILTER_MAX];
	struct sock_fprog prog;
	size_t n = put_head(f);

	n += put_socket(f + n);
	n += put_clone(f + n);
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1);
		f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog.len = (unsigned short)n;
	prog.filter = f;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
#else
	return -EOPNOTSUPP;
#endif
}
