/* malloc.c: the static binary's allocator (issue 16). musl's mallocng hands a group back to the
 * kernel as soon as its last block is freed, so parsing thousands of small specs cost one
 * mmap/munmap pair per few specs and a TLB shootdown per munmap (a fifth of check's time on a
 * 2-core VM). This one keeps freed blocks on a free list per size class and never unmaps them;
 * blocks above the largest class are mmap'ed one by one. Only the static binary links it
 * (applets/ is not in the host unit or fuzz builds, which keep ASan's allocator). tailpod starts
 * no thread, but libgit2 does in the fetch child (its pack builder searches deltas in threads), so
 * the free lists are behind a spin lock: one atomic exchange when uncontended. A bad or
 * twice-freed pointer aborts. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum {
	HEADER = 16,	/* keeps every payload 16-byte aligned */
	N_CLASSES = 27, /* blocks of 32, 48, 64, 96, ... 256 KiB */
	LARGEST_BLOCK = 256 << 10,
	CHUNK = 1 << 20, /* mmap'ed at a time for small blocks; untouched pages cost no RSS */
	PAGE = 4096,
};

enum block_kind {
	KIND_SMALL = 0x5a11,
	KIND_FREE = 0xf4ee,
	KIND_LARGE = 0x1a49,
	KIND_ALIGNED = 0xa119,
};

/* Before each payload: what kind of block it is and its class index or aligned offset, and the
 * bytes the payload may use (a large block: the whole mapping's length). */
struct block_header {
	uint32_t kind;
	uint32_t detail;
	size_t usable;
};

struct free_block {
	struct free_block *next;
};

static struct free_block *free_lists[N_CLASSES];
static char *chunk_next, *chunk_end;
static int heap_busy;

static void heap_lock(void)
{
	while (__atomic_exchange_n(&heap_busy, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void heap_unlock(void)
{
	__atomic_store_n(&heap_busy, 0, __ATOMIC_RELEASE);
}

static size_t class_block_size(unsigned idx)
{
	return (idx % 2 ? 48 : 32) << (idx / 2);
}

/* The smallest class whose block holds need bytes (header included): 32 << i or 48 << i. */
static unsigned class_of(size_t need)
{
	if (need <= 32)
		return 0;
	size_t m = need - 1;
	unsigned log2 = 63 - (unsigned)__builtin_clzl(m);

	if (m < (size_t)3 << (log2 - 1))
		return 2 * (log2 - 5) + 1;
	return 2 * (log2 - 4);
}

static void *map_anonymous(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct block_header *header_of(void *p)
{
	return (struct block_header *)((char *)p - HEADER);
}

static _Noreturn void heap_corrupt(void)
{
	static const char msg[] = "tailpod: error: heap corruption (bad or double free)\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

static void *small_alloc(unsigned idx)
{
	struct block_header *h;

	/* A free block of the next class up serves too (a third or a half again as large): memory
	 * freed by one phase of the work is reused by the next, whose sizes differ a little. */
	for (unsigned up = idx; up < N_CLASSES && up <= idx + 1; up++)
		if (free_lists[up]) {
			idx = up;
			break;
		}
	size_t block = class_block_size(idx);

	if (free_lists[idx]) {
		h = header_of(free_lists[idx]);
		free_lists[idx] = free_lists[idx]->next;
	} else {
		if ((size_t)(chunk_end - chunk_next) < block) {
			char *c = map_anonymous(CHUNK);

			if (!c)
				return NULL;
			chunk_next = c;
			chunk_end = c + CHUNK;
		}
		h = (struct block_header *)chunk_next;
		chunk_next += block;
	}
	h->kind = KIND_SMALL;
	h->detail = idx;
	h->usable = block - HEADER;
	return (char *)h + HEADER;
}

static void *large_alloc(size_t n)
{
	size_t len = (n + HEADER + PAGE - 1) & ~(size_t)(PAGE - 1);
	struct block_header *h = map_anonymous(len);

	if (!h)
		return NULL;
	h->kind = KIND_LARGE;
	h->detail = 0;
	h->usable = len - HEADER;
	return (char *)h + HEADER;
}

/* mremap moves the pages, so a large block leaves no copy of its bytes behind. */
static void *large_resize(struct block_header *h, size_t n)
{
	size_t old_len = h->usable + HEADER, len = n + HEADER;

	/* A buffer grown a little at a time grows by half its size: one mremap per step, not per
	 * page. */
	if (len > old_len && len < old_len + old_len / 2)
		len = old_len + old_len / 2;
	len = (len + PAGE - 1) & ~(size_t)(PAGE - 1);
	struct block_header *moved = mremap(h, old_len, len, MREMAP_MAYMOVE);

	if (moved == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	moved->usable = len - HEADER;
	return (char *)moved + HEADER;
}

void *malloc(size_t n)
{
	if (n > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	void *p;

	if (n + HEADER <= LARGEST_BLOCK) {
		heap_lock();
		p = small_alloc(class_of(n + HEADER));
		heap_unlock();
	} else
		p = large_alloc(n);

	if (!p)
		errno = ENOMEM;
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	struct block_header *h = header_of(p);

	switch (h->kind) {
	case KIND_SMALL:
		if (h->detail >= N_CLASSES)
			heap_corrupt();
		heap_lock();
		h->kind = KIND_FREE;
		((struct free_block *)p)->next = free_lists[h->detail];
		free_lists[h->detail] = p;
		heap_unlock();
		return;
	case KIND_LARGE:
		munmap(h, h->usable + HEADER);
		return;
	case KIND_ALIGNED:
		free((char *)p - h->detail);
		return;
	default:
		heap_corrupt();
	}
}

size_t malloc_usable_size(void *p)
{
	return p ? header_of(p)->usable : 0;
}

void *calloc(size_t m, size_t n)
{
	if (n && m > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = malloc(m * n);

	return p ? memset(p, 0, m * n) : NULL;
}

/* A block that must move is wiped before it is freed: callers grow buffers that may hold secret
 * bytes, and a free block here is kept, not unmapped. */
void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct block_header *h = header_of(p);
	size_t old = malloc_usable_size(p);

	if (n <= old && (h->kind != KIND_LARGE || n > old / 2))
		return p;
	if (h->kind == KIND_LARGE && n + HEADER > LARGEST_BLOCK && n <= SIZE_MAX / 4)
		return large_resize(h, n);
	void *q = malloc(n);

	if (!q)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	explicit_bzero(p, old);
	free(p);
	return q;
}

void *aligned_alloc(size_t align, size_t n)
{
	if (!align || align & (align - 1)) {
		errno = EINVAL;
		return NULL;
	}
	if (align <= HEADER)
		return malloc(n);
	if (n > SIZE_MAX / 2 - align) {
		errno = ENOMEM;
		return NULL;
	}
	char *raw = malloc(n + align + HEADER);

	if (!raw)
		return NULL;
	char *p = (char *)(((uintptr_t)raw + HEADER + align - 1) & ~(uintptr_t)(align - 1));
	struct block_header *h = header_of(p);

	h->kind = KIND_ALIGNED;
	h->detail = (uint32_t)(p - raw);
	h->usable = n + align + HEADER - (size_t)(p - raw);
	return p;
}
