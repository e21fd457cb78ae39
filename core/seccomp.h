/*
 * seccomp.h: the system-call allow-list of the fetch process (core/fetchjail). A fetch needs
 * files below its own directory, sockets to the git host and its resolver, memory and time;
 * nothing else: no exec, no fork, no ptrace, no namespaces, no mounts, no ids, no keyring, no BPF.
 * Another architecture's system calls (x32, i386 on x86_64, arm32 on aarch64) and any call not on
 * the list kill the process, so a parser bug exploited by the network ends there and the parent
 * reports "killed by signal 31". Core module: no printing; 0 or a negative errno.
 */
#ifndef TAILPOD_SECCOMP_H
#define TAILPOD_SECCOMP_H

/* Install the filter on the calling thread (no_new_privs must be set, or the caller root).
 * -EOPNOTSUPP on an architecture this file has no list for. */
int seccomp_install_fetch_filter(void);

#endif
