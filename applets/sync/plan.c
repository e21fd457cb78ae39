/* plan.c: what sync starts from — the workloads deployed now (tailpod's records, and on a host
 * moving from quadsync its hashes/NAME files) and the names the host uses — and the guards that
 * refuse a whole run before anything changes: more workloads than TAILPOD_MAX_WORKLOADS, an empty
 * desired state while workloads exist (review P0.3) and removing more than the configured share at
 * once; and the one that refuses a single workload, a reserved name (issue 13). */
#include "sync/sync.h"

#include "clock.h"
#include "core.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *sync_unit_dir(enum spec_unit_dir dir)
{
	return dir == SPEC_UNIT_QUADLET ? ".config/containers/systemd" : ".config/systemd/user";
}

bool sync_is_timer(const char *unit)
{
	size_t n = strlen(unit);

	return n > 6 && strcmp(unit + n - 6, ".timer") == 0;
}

long long sync_now_ms(void)
{
	return (long long)clock_now_ms();
}

const char *const sync_subid_files[2] = {USERS_SUBUID, USERS_SUBGID};

void sync_subids_load(struct sync_ctx *ctx)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctx->subids); i++) {
		ctx->subids[i] = users_subids_free(ctx->subids[i]);
		ctx->subids_error[i] =
			users_subids_load(ctx->root, sync_subid_files[i], &ctx->subids[i], NULL);
	}
}

int sync_users_reload(struct sync_ctx *ctx)
{
	struct users_db *db = NULL;
	int r = users_db_load(ctx->root, USERS_SOURCE_ETC, &db);

	if (r < 0)
		return r;
	users_db_free(ctx->db);
	ctx->db = db;
	ctx->users_generation++;
	sync_subids_load(ctx);
	return 0;
}

/* The record a no-op released last, kept for the next workload's: a state_record is ~1.3 KiB,
 * and musl's allocator unmaps the lone group it sits in when it is freed, then maps it again for
 * the next (a munmap and an mmap a workload, issue 16). */
static struct state_record *spare_record;

static struct state_record *record_take(void)
{
	struct state_record *rec = spare_record;

	spare_record = NULL;
	if (!rec)
		return calloc(1, sizeof(*rec));
	*rec = (struct state_record){0};
	return rec;
}

static void record_put(struct state_record *rec)
{
	if (!rec)
		return;
	free(spare_record);
	spare_record = rec;
}

void sync_current_close(struct sync_current *cur)
{
	if (cur->rec && cur->rec_borrowed) {
		cur->rec->files = NULL; /* the slot's */
		cur->rec->n_files = 0;
	}
	if (cur->rec)
		state_record_release(cur->rec);
	if (!cur->rec_borrowed)
		record_put(cur->rec);
	cur->rec = NULL;
	cur->rec_borrowed = false;
	cur->has_record = false;
}

int sync_current_detach(struct sync_current *cur)
{
	struct state_file *files;
	struct state_record *rec;

	if (!cur->rec_borrowed)
		return 0;
	rec = record_take();
	files = cur->rec->n_files ? calloc(cur->rec->n_files, sizeof(*files)) : NULL;
	if (!rec || (cur->rec->n_files && !files)) {
		free(files);
		record_put(rec);
		return -ENOMEM;
	}
	*rec = *cur->rec; /* a record read ahead has no secrets: see ahead.c */
	if (files)
		memcpy(files, cur->rec->files, rec->n_files * sizeof(*files));
	rec->files = files;
	cur->rec = rec;
	cur->rec_borrowed = false;
	return 0;
}

void sync_current_free(struct sync_current *cur, size_t n)
{
	for (size_t i = 0; cur && i < n; i++)
		sync_current_close(&cur[i]);
	free(cur);
	free(spare_record);
	spare_record = NULL;
}

int sync_current_open(const struct sync_ctx *ctx, struct sync_current *cur)
{
	struct state_record *rec;
	int r;

	if (!cur->unread)
		return 0;
	rec = record_take();
	r = rec ? state_record_load(ctx->state_fd, cur->name, rec) : -ENOMEM;
	if (r < 0)
		record_put(rec);
	if (r == -ENOMEM)
		return r; /* still unread: its turn fails, nothing is decided without it */
	cur->unread = false;
	cur->has_record = r == 0;
	cur->rec = r == 0 ? rec : NULL;
	if (r < 0)
		log_warning_errno(r,
				  "%s: the record in %s/workloads is unreadable, treating it as "
				  "deployed without a file list",
				  cur->name, ctx->config->state_dir);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sync_current *)a)->name,
		      ((const struct sync_current *)b)->name);
}

/* cur is sorted by name (sync_current_load). */
const struct sync_current *sync_current_find(const struct sync_current *cur, size_t n,
					     const char *name)
{
	struct sync_current key;

	if (n == 0 || snprintf(key.name, sizeof(key.name), "%s", name) >= (int)sizeof(key.name))
		return NULL;
	return bsearch(&key, cur, n, sizeof(*cur), by_name);
}

/* One entry per tailpod record, read later (sync_current_open). */
static void list_records(struct sync_current *cur, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(cur[i].name, sizeof(cur[i].name), "%s", names[i]);
		cur[i].unread = true;
	}
}

/* Workloads quadsync deployed that tailpod has not recorded yet. */
static int add_quadsync(const struct sync_ctx *ctx, struct sync_current **cur, size_t *n)
{
	_cleanup_free_ char **names = NULL;
	size_t n_names = 0, n_new = *n;
	struct sync_current *grown;
	int r;

	if (!ctx->config->quadsync_state_dir)
		return 0;
	r = state_quadsync_list(ctx->config->quadsync_state_dir, &names, &n_names);
	if (r < 0)
		return log_error_errno(r, "cannot list quadsync's records in %s/hashes",
				       ctx->config->quadsync_state_dir);
	if (n_names == 0)
		return 0;
	grown = realloc(*cur, (*n + n_names) * sizeof(**cur));
	if (!grown)
		return log_error_errno(-ENOMEM, "cannot list the deployed workloads");
	*cur = grown;
	for (size_t i = 0; i < n_names; i++) {
		const struct users_user *u;

		/* A quadsync record of a user that is gone describes nothing left to manage. */
		if (sync_current_find(grown, *n, names[i]) ||
		    users_db_find_user(ctx->db, names[i], &u) < 0)
			continue;
		grown[n_new] = (struct sync_current){.from_quadsync = true};
		snprintf(grown[n_new].name, sizeof(grown[n_new].name), "%s", names[i]);
		n_new++;
	}
	*n = n_new;
	return 0;
}

int sync_current_load(const struct sync_ctx *ctx, struct sync_current **ret, size_t *ret_n)
{
	_cleanup_free_ char **names = NULL;
	struct sync_current *cur;
	size_t n = 0;
	int r = state_list(ctx->state_fd, &names, &n);

	if (r < 0)
		return log_error_errno(r, "cannot list the records in %s/workloads",
				       ctx->config->state_dir);
	cur = calloc(n ? n : 1, sizeof(*cur));
	if (!cur)
		return log_error_errno(-ENOMEM, "cannot list the deployed workloads");
	list_records(cur, names, n);
	qsort(cur, n, sizeof(*cur), by_name); /* add_quadsync looks names up */
	r = add_quadsync(ctx, &cur, &n);
	if (r < 0) {
		sync_current_free(cur, n);
		return r;
	}
	qsort(cur, n, sizeof(*cur), by_name);
	*ret = cur;
	*ret_n = n;
	return 0;
}

int sync_check_guards(const struct sync_ctx *ctx, size_t n_current, size_t n_remove,
		      bool allow_empty, bool allow_mass_delete)
{
	const struct config *c = ctx->config;
	size_t n_desired = ctx->desired->set->n_workloads;

	/* A bound on what one commit can create: a repo generating thousands of users is more
	 * likely a mistake or an attack than a plan. Raising the setting is the override: a flag
	 * would have to be given on every run that follows. */
	if (n_desired > c->max_workloads) {
		log_error("commit %.12s has %zu workloads, more than TAILPOD_MAX_WORKLOADS=%u: "
			  "refusing (raise TAILPOD_MAX_WORKLOADS to allow it)",
			  ctx->desired->commit, n_desired, c->max_workloads);
		return EXIT_REFUSED;
	}
	if (n_desired == 0 && n_current > 0) {
		if (!allow_empty) {
			log_error("commit %.12s has no workloads and %zu are deployed: refusing to "
				  "remove them all (--allow-empty or TAILPOD_ALLOW_EMPTY=yes "
				  "allows it)",
				  ctx->desired->commit, n_current);
			return EXIT_REFUSED;
		}
		log_warning("commit %.12s has no workloads: removing all %zu (allowed by "
			    "--allow-empty or TAILPOD_ALLOW_EMPTY=yes)",
			    ctx->desired->commit, n_current);
		return EXIT_OK;
	}
	/* One removal never trips the share: renaming the only workload of a host is normal,
	 * and the empty-state guard above covers the last one. */
	if (n_remove > 1 && n_remove * 100 > (size_t)c->max_delete_percent * n_current &&
	    !allow_mass_delete) {
		log_error("commit %.12s would remove %zu of %zu workloads, more than "
			  "TAILPOD_MAX_DELETE_PERCENT=%u%%: refusing (--allow-mass-delete allows "
			  "it)",
			  ctx->desired->commit, n_remove, n_current, c->max_delete_percent);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

int sync_names_load(struct sync_ctx *ctx)
{
	struct diag_list warnings = {0};
	int r = names_host_load(ctx->root, ctx->db, ctx->alt_db, ctx->config->user_group,
				&ctx->names, &warnings);

	for (size_t i = 0; i < warnings.n; i++)
		log_warning("%s:%u: %s", warnings.items[i].path, warnings.items[i].line,
			    warnings.items[i].msg);
	diag_list_release(&warnings);
	if (r < 0)
		return log_error_errno(r, "cannot read the names this host uses");
	return 0;
}

static bool name_reserved(const struct sync_ctx *ctx, const char *name, char why[NAMES_WHY_MAX])
{
	const struct names_rules rules = {
		.protected_names = ctx->config->protected_users,
		.n_protected = ctx->config->n_protected_users,
		.host = ctx->names,
	};

	return names_reserved(name, &rules, why, NAMES_WHY_MAX);
}

bool sync_name_reserved(const struct sync_ctx *ctx, const char *name)
{
	char why[NAMES_WHY_MAX];

	return name_reserved(ctx, name, why);
}

bool sync_name_refused(const struct sync_ctx *ctx, const struct spec_workload *w, bool deployed,
		       struct sync_outcome *out)
{
	char why[NAMES_WHY_MAX];

	if (!name_reserved(ctx, w->name, why))
		return false;
	out->action = deployed ? SYNC_UPDATE : SYNC_CREATE;
	out->result = SYNC_REFUSED;
	/* Cut to SYNC_ERROR_MAX when a unit's path makes the reason long. */
	sync_outcome_set_error(out, "refused: '%s' %s (%s)", w->name, why, w->source);
	log_error("%s: %s", out->name, out->error);
	if (ctx->dry_run)
		printf("refuse %s: '%s' %s\n", w->name, w->name, why);
	return true;
}
