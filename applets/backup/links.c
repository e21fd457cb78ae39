/* links.c: the hard links of one archive — inodes with more than one name, each remembered with
 * the member that holds its data, so later names become hard-link members (a hash table of
 * BACKUP_LINKS_MAX inodes at most: one more is archived as a copy, never refused). */
#include "backup.h"

#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { LINKS_BUCKETS = 4096 };

struct link_node {
	struct link_node *next;
	dev_t dev;
	ino_t ino;
	char path[]; /* the first member */
};

struct backup_links {
	struct link_node *buckets[LINKS_BUCKETS];
	size_t n;
};

struct backup_links *backup_links_new(void)
{
	return calloc(1, sizeof(struct backup_links));
}

int backup_links_seen(struct backup_links *l, dev_t dev, ino_t ino, const char *path,
		      const char **ret_first)
{
	size_t b = (size_t)((ino * 2654435761u) ^ dev) % LINKS_BUCKETS;
	struct link_node *node;

	*ret_first = NULL;
	for (node = l->buckets[b]; node; node = node->next)
		if (node->dev == dev && node->ino == ino) {
			*ret_first = node->path;
			return 0;
		}
	if (l->n >= BACKUP_LINKS_MAX)
		return 0;
	node = malloc(sizeof(*node) + strlen(path) + 1);
	if (!node)
		return -ENOMEM;
	node->dev = dev, node->ino = ino;
	strcpy(node->path, path);
	node->next = l->buckets[b];
	l->buckets[b] = node;
	l->n++;
	return 0;
}

void backup_links_free(struct backup_links *l)
{
	if (!l)
		return;
	for (size_t b = 0; b < LINKS_BUCKETS; b++)
		while (l->buckets[b]) {
			struct link_node *next = l->buckets[b]->next;

			free(l->buckets[b]);
			l->buckets[b] = next;
		}
	free(l);
}
