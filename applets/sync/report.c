/* report.c: what a sync run leaves behind for people and monitoring — STATE/status.json (per
 * workload: action, result, error, commit, duration; replaced atomically after every run), the
 * optional Prometheus textfile (TAILPOD_METRICS_FILE), the --json document and the one-line
 * summary. */
#include "sync/sync.h"

#include "core.h"
#include "fs.h"
#include "json.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

enum {
	REPORT_METRIC_LINE = 160,	/* bytes of one metrics line, the workload name included */
	REPORT_FLUSH_BYTES = 64 * 1024, /* of status.json held before they are written out */
};

/* Where status.json goes as it is written, a piece at a time (issue 16: whole, the document of
 * 10 000 workloads held 2 MiB and more): the temp file that replaces STATE/status.json when it is
 * complete (not in a dry run), and stdout with --json. */
struct status_sink {
	struct fs_atomic_file file;
	bool to_file, to_stdout;
	int file_error; /* why the file was given up, 0 if it was not */
};

static const char *const action_names[] = {
	[SYNC_NONE] = "none",	  [SYNC_CREATE] = "create", [SYNC_UPDATE] = "update",
	[SYNC_REPAIR] = "repair", [SYNC_ADOPT] = "adopt",   [SYNC_REMOVE] = "remove",
};

static const char *const result_names[] = {
	[SYNC_OK] = "ok",
	[SYNC_FAILED] = "failed",
	[SYNC_REFUSED] = "refused",
};

const char *sync_action_name(enum sync_action action)
{
	return action_names[action];
}

static void json_kv_string(struct json_writer *jw, const char *key, const char *value)
{
	json_write_key(jw, key);
	json_write_string(jw, value);
}

static void json_kv_int(struct json_writer *jw, const char *key, long long value)
{
	json_write_key(jw, key);
	json_write_int(jw, value);
}

static void json_outcome(struct json_writer *jw, const struct sync_ctx *ctx,
			 const struct sync_outcome *o)
{
	json_begin_object(jw);
	json_kv_string(jw, "name", o->name);
	json_kv_string(jw, "action", action_names[o->action]);
	json_kv_string(jw, "result", result_names[o->result]);
	json_kv_string(jw, "error", sync_outcome_text(o->error));
	json_kv_string(jw, "repairs", sync_outcome_text(o->repairs));
	json_kv_string(jw, "commit", ctx->desired ? ctx->desired->commit : "");
	json_kv_int(jw, "files_written", o->n_written);
	json_kv_int(jw, "files_removed", o->n_removed);
	json_write_key(jw, "up");
	json_write_bool(jw, o->up);
	json_kv_int(jw, "duration_ms", o->duration_ms);
	json_write_key(jw, "rolled_back");
	json_write_bool(jw, o->rolled_back);
	json_kv_string(jw, "held_commit", sync_outcome_text(o->held_commit));
	json_end_object(jw);
}

/* A write to the file that fails gives up the file alone: stdout still gets the document. */
static int status_sink_write(void *payload, const char *text, size_t len)
{
	struct status_sink *sink = payload;
	int r;

	if (sink->to_stdout)
		(void)fwrite(text, 1, len, stdout);
	if (!sink->to_file)
		return 0;
	r = fs_atomic_write(&sink->file, text, len);
	if (r < 0) {
		fs_atomic_abort(&sink->file);
		sink->to_file = false;
		sink->file_error = r;
	}
	return 0;
}

static int status_document(const struct sync_ctx *ctx, const char *result, const char *message,
			   struct status_sink *sink)
{
	_cleanup_free_ char *rest = NULL;
	struct json_writer jw;
	size_t rest_len = 0;
	int r;

	json_writer_init(&jw, 0, JSON_LOSSY);
	json_begin_object(&jw);
	json_kv_int(&jw, "version", 1);
	json_kv_int(&jw, "time", (long long)time(NULL));
	json_kv_string(&jw, "result", result);
	json_kv_string(&jw, "message", message ? message : "");
	json_kv_string(&jw, "commit", ctx->desired ? ctx->desired->commit : "");
	json_write_key(&jw, "dry_run");
	json_write_bool(&jw, ctx->dry_run);
	json_kv_int(&jw, "duration_ms", sync_now_ms() - ctx->started_ms);
	json_write_key(&jw, "workloads");
	json_begin_array(&jw);
	for (size_t i = 0; i < ctx->n_outcomes; i++) {
		json_outcome(&jw, ctx, &ctx->outcomes[i]);
		if (jw.len >= REPORT_FLUSH_BYTES)
			(void)json_writer_flush(&jw, status_sink_write, sink); /* errors: sticky */
	}
	json_end_array(&jw);
	json_end_object(&jw);
	r = json_writer_finish(&jw, &rest, &rest_len);
	json_writer_release(&jw);
	if (r >= 0)
		r = status_sink_write(sink, rest, rest_len);
	return r;
}

/* A workload name is [a-z_][a-z0-9_-]*: nothing to escape in a label value. */
static int append_metrics(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append_metrics(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*cap - *len < REPORT_METRIC_LINE) {
		size_t grown_cap = *cap * 2 + 4096;
		char *grown = realloc(*buf, grown_cap);

		if (!grown)
			return -ENOMEM;
		*buf = grown;
		*cap = grown_cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= *cap - *len)
		return -ENOBUFS;
	*len += (size_t)n;
	return 0;
}

/* Issue 21: which workloads the health gate rolled back in this run, and which are held. */
static int metrics_rollout(const struct sync_ctx *ctx, char **buf, size_t *len, size_t *cap)
{
	int r = append_metrics(buf, len, cap,
			       "# HELP tailpod_workload_rolled_back 1 when the last sync rolled "
			       "the workload back to its good files.\n# TYPE "
			       "tailpod_workload_rolled_back gauge\n");

	for (size_t i = 0; r >= 0 && i < ctx->n_outcomes; i++)
		if (ctx->outcomes[i].action != SYNC_REMOVE)
			r = append_metrics(buf, len, cap,
					   "tailpod_workload_rolled_back{workload=\"%s\"} %d\n",
					   ctx->outcomes[i].name, ctx->outcomes[i].rolled_back);
	if (r >= 0)
		r = append_metrics(buf, len, cap,
				   "# HELP tailpod_workload_held 1 while the workload's desired "
				   "files are those that failed the health gate.\n# TYPE "
				   "tailpod_workload_held gauge\n");
	for (size_t i = 0; r >= 0 && i < ctx->n_outcomes; i++)
		if (ctx->outcomes[i].action != SYNC_REMOVE)
			r = append_metrics(
				buf, len, cap, "tailpod_workload_held{workload=\"%s\"} %d\n",
				ctx->outcomes[i].name,
				sync_outcome_text(ctx->outcomes[i].held_commit)[0] != '\0');
	return r;
}

static int metrics_text(const struct sync_ctx *ctx, bool success, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n_failed = 0;
	int r;

	for (size_t i = 0; i < ctx->n_outcomes; i++)
		n_failed += ctx->outcomes[i].result != SYNC_OK;
	r = append_metrics(&buf, &len, &cap,
			   "# HELP tailpod_sync_last_run_timestamp_seconds When the last sync "
			   "finished.\n# TYPE tailpod_sync_last_run_timestamp_seconds gauge\n"
			   "tailpod_sync_last_run_timestamp_seconds %lld\n",
			   (long long)time(NULL));
	if (r >= 0)
		r = append_metrics(&buf, &len, &cap,
				   "# HELP tailpod_sync_last_run_success 1 when the last sync "
				   "converged everything.\n# TYPE tailpod_sync_last_run_success "
				   "gauge\ntailpod_sync_last_run_success %d\n",
				   success ? 1 : 0);
	if (r >= 0)
		r = append_metrics(&buf, &len, &cap,
				   "# HELP tailpod_sync_workload_errors Workloads that failed or "
				   "were refused in the last sync.\n# TYPE "
				   "tailpod_sync_workload_errors gauge\n"
				   "tailpod_sync_workload_errors %zu\n# HELP tailpod_workload_up 1 "
				   "when the workload's service runs.\n# TYPE tailpod_workload_up "
				   "gauge\n",
				   n_failed);
	for (size_t i = 0; r >= 0 && i < ctx->n_outcomes; i++)
		if (ctx->outcomes[i].action != SYNC_REMOVE)
			r = append_metrics(&buf, &len, &cap,
					   "tailpod_workload_up{workload=\"%s\"} %d\n",
					   ctx->outcomes[i].name, ctx->outcomes[i].up ? 1 : 0);
	if (r >= 0)
		r = append_metrics(
			&buf, &len, &cap,
			"# HELP tailpod_workload_failed 1 when the last sync failed or "
			"refused this workload.\n# TYPE tailpod_workload_failed gauge\n");
	for (size_t i = 0; r >= 0 && i < ctx->n_outcomes; i++)
		r = append_metrics(&buf, &len, &cap,
				   "tailpod_workload_failed{workload=\"%s\"} %d\n",
				   ctx->outcomes[i].name, ctx->outcomes[i].result != SYNC_OK);
	if (r >= 0)
		r = metrics_rollout(ctx, &buf, &len, &cap);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static void write_metrics(const struct sync_ctx *ctx, bool success)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (!ctx->config->metrics_file)
		return;
	r = metrics_text(ctx, success, &text, &len);
	if (r >= 0)
		r = fs_write_atomic_path(ctx->config->metrics_file, text, len, 0644);
	if (r < 0)
		log_warning_errno(r, "cannot write the metrics file %s, ignoring",
				  ctx->config->metrics_file);
}

int sync_report(const struct sync_ctx *ctx, const char *result, const char *message, bool json)
{
	struct status_sink sink = {.to_stdout = json};
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/status.json", ctx->config->state_dir);
	if (!ctx->dry_run) {
		sink.file_error = fs_atomic_begin(path, 0644, &sink.file);
		sink.to_file = sink.file_error >= 0;
	}
	r = status_document(ctx, result, message, &sink);
	if (r < 0) {
		if (sink.to_file)
			fs_atomic_abort(&sink.file);
		return log_error_errno(r, "cannot build status.json");
	}
	if (json)
		putchar('\n');
	if (ctx->dry_run)
		return 0;
	r = sink.to_file ? fs_atomic_commit(&sink.file) : sink.file_error;
	if (r < 0)
		log_error_errno(r, "cannot write %s", path);
	write_metrics(ctx, strcmp(result, "ok") == 0);
	return r;
}

void sync_print_summary(const struct sync_ctx *ctx)
{
	size_t count[SYNC_REMOVE + 1] = {0}, failed = 0;

	for (size_t i = 0; i < ctx->n_outcomes; i++) {
		if (ctx->outcomes[i].result != SYNC_OK)
			failed++;
		else
			count[ctx->outcomes[i].action]++;
	}
	printf("%s%.12s: %zu created, %zu updated, %zu repaired, %zu adopted, %zu removed, %zu "
	       "unchanged, %zu failed\n",
	       ctx->dry_run ? "dry run at " : "commit ",
	       ctx->desired ? ctx->desired->commit : "(none)", count[SYNC_CREATE],
	       count[SYNC_UPDATE], count[SYNC_REPAIR], count[SYNC_ADOPT], count[SYNC_REMOVE],
	       count[SYNC_NONE], failed);
}
