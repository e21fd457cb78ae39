/*
 * opt.c: the option parser every applet uses. Options are declared once in a table at the top of
 * the applet's file; the same table drives parsing and --help, so the help text cannot drift
 * from what the parser accepts. Long options take "--name=value" or "--name value"; short ones
 * "-x value" or "-xvalue". Options and positional arguments may be mixed, as operators expect.
 */
#include "opt.h"

#include "core.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_HELP_COLUMN = 28, /* width of the option column in --help */
};

static bool opt_help;
static int opt_quiet, opt_verbose;

static const struct opt common_opts[] = {
	OPT_BOOL('h', "help", &opt_help, "show this help and exit"),
	OPT_COUNT('q', "quiet", &opt_quiet, "print only warnings and errors"),
	OPT_COUNT('v', "verbose", &opt_verbose, "print debug messages too"),
	OPT_END,
};

static bool opt_takes_value(const struct opt *o)
{
	return o->type == OPT_TYPE_STRING || o->type == OPT_TYPE_INT || o->type == OPT_TYPE_STRINGS;
}

static const struct opt *find_in(const struct opt *table, char short_name, const char *long_name,
				 size_t long_len)
{
	for (const struct opt *o = table; o->type != OPT_TYPE_END; o++) {
		if (short_name && o->short_name == short_name)
			return o;
		if (long_name && o->long_name && strlen(o->long_name) == long_len &&
		    memcmp(o->long_name, long_name, long_len) == 0)
			return o;
	}
	return NULL;
}

static const struct opt *opt_find(const struct applet_cli *cli, char short_name,
				  const char *long_name, size_t long_len)
{
	const struct opt *o = find_in(cli->opts, short_name, long_name, long_len);

	return o ? o : find_in(common_opts, short_name, long_name, long_len);
}

static int usage_error(const struct applet_cli *cli, const char *what, const char *arg)
{
	log_error("%s '%s'; try 'tailpod %s --help'", what, arg, cli->name);
	return -EINVAL;
}

static int parse_long_value(const struct applet_cli *cli, const struct opt *o, const char *value)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < o->min || n > o->max) {
		log_error("invalid value '%s' for --%s (expected an integer from %ld to %ld); try "
			  "'tailpod %s --help'",
			  value, o->long_name, o->min, o->max, cli->name);
		return -EINVAL;
	}
	*(long *)o->dest = n;
	return 0;
}

static int opt_apply(const struct applet_cli *cli, const struct opt *o, const char *value)
{
	switch (o->type) {
	case OPT_TYPE_BOOL:
		*(bool *)o->dest = true;
		return 0;
	case OPT_TYPE_COUNT:
		(*(int *)o->dest)++;
		return 0;
	case OPT_TYPE_STRING:
		*(const char **)o->dest = value;
		return 0;
	case OPT_TYPE_INT:
		return parse_long_value(cli, o, value);
	case OPT_TYPE_STRINGS: {
		struct opt_strings *list = o->dest;

		if (list->n >= OPT_STRINGS_MAX) {
			log_error("--%s given more than %d times; try 'tailpod %s --help'",
				  o->long_name, OPT_STRINGS_MAX, cli->name);
			return -EINVAL;
		}
		list->items[list->n++] = value;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* Handle argv[*i], a long option; may consume argv[*i + 1] as its value. */
static int parse_long(const struct applet_cli *cli, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt *o = opt_find(cli, 0, name, len);
	const char *value = eq ? eq + 1 : NULL;

	if (!o)
		return usage_error(cli, "unknown option", argv[*i]);
	if (!opt_takes_value(o)) {
		if (eq)
			return usage_error(cli, "option takes no value", argv[*i]);
		return opt_apply(cli, o, NULL);
	}
	if (!value) {
		if (*i + 1 >= argc)
			return usage_error(cli, "option needs a value", argv[*i]);
		value = argv[++*i];
	}
	return opt_apply(cli, o, value);
}

/* Handle argv[*i], one or more clustered short options ("-qv", "-ofile", "-o file"). */
static int parse_short(const struct applet_cli *cli, int argc, char **argv, int *i)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct opt *o = opt_find(cli, *p, NULL, 0);
		char shown[3] = {'-', *p, '\0'};

		if (!o)
			return usage_error(cli, "unknown option", shown);
		if (!opt_takes_value(o)) {
			int r = opt_apply(cli, o, NULL);
			if (r < 0)
				return r;
			continue;
		}
		if (p[1])
			return opt_apply(cli, o, p + 1);
		if (*i + 1 >= argc)
			return usage_error(cli, "option needs a value", shown);
		return opt_apply(cli, o, argv[++*i]);
	}
	return 0;
}

static void apply_log_level(void)
{
	if (opt_quiet)
		log_set_max_level(LOG_LEVEL_WARNING);
	else if (opt_verbose)
		log_set_max_level(LOG_LEVEL_DEBUG);
}

static int check_arg_count(const struct applet_cli *cli, int nargs, char **args)
{
	if (nargs < cli->min_args) {
		log_error("missing argument; try 'tailpod %s --help'", cli->name);
		return -EINVAL;
	}
	if (cli->max_args >= 0 && nargs > cli->max_args)
		return usage_error(cli, "unexpected argument", args[cli->max_args]);
	return 0;
}

int opt_parse(const struct applet_cli *cli, int argc, char **argv, int *ret_nargs)
{
	bool only_args = false;
	int nargs = 0, r;

	opt_help = false;
	opt_quiet = opt_verbose = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_args || a[0] != '-' || a[1] == '\0') {
			argv[nargs++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		r = a[1] == '-' ? parse_long(cli, argc, argv, &i)
				: parse_short(cli, argc, argv, &i);
		if (r < 0)
			return r;
	}
	if (opt_help) {
		opt_print_help(cli);
		return OPT_RESULT_HELP;
	}
	apply_log_level();
	r = check_arg_count(cli, nargs, argv);
	if (r < 0)
		return r;
	*ret_nargs = nargs;
	return OPT_RESULT_RUN;
}

/* The option column, then its help; later lines of a multi-line help stay in the help column. */
static void print_help_text(const char *left, const char *help)
{
	for (;;) {
		const char *nl = strchr(help, '\n');
		int len = (int)(nl ? (size_t)(nl - help) : strlen(help));

		printf("  %-*s %.*s\n", OPT_HELP_COLUMN, left, len, help);
		if (!nl)
			return;
		left = "";
		help = nl + 1;
	}
}

static void print_opt(const struct opt *o)
{
	char left[64];
	int n = 0;

	if (o->short_name)
		n = snprintf(left, sizeof(left), "-%c%s", o->short_name, o->long_name ? ", " : "");
	else
		n = snprintf(left, sizeof(left), "    ");
	if (o->long_name && n >= 0 && (size_t)n < sizeof(left))
		n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->long_name);
	if (opt_takes_value(o) && n >= 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, "%s%s", o->long_name ? "=" : " ",
			 o->arg_name ? o->arg_name : "VALUE");
	print_help_text(left, o->help);
}

void opt_print_help(const struct applet_cli *cli)
{
	printf("Usage: tailpod %s %s\n\n%s\n\nOptions:\n", cli->name, cli->synopsis, cli->summary);
	for (const struct opt *o = cli->opts; o->type != OPT_TYPE_END; o++)
		print_opt(o);
	for (const struct opt *o = common_opts; o->type != OPT_TYPE_END; o++)
		print_opt(o);
	printf("\nExit status: 0 ok, 1 some work failed, 2 usage or configuration error,\n"
	       "3 refused by a safety guard, 75 busy or temporary failure (retry).\n");
}

int opt_exit_status(int r)
{
	return r == OPT_RESULT_HELP ? EXIT_OK : EXIT_USAGE;
}
