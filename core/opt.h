/* opt.h: table-driven option parsing and generated --help for applets (DESIGN.md §4.3). */
#ifndef TAILPOD_OPT_H
#define TAILPOD_OPT_H

#include <stdbool.h>

enum opt_type {
	OPT_TYPE_END = 0,
	OPT_TYPE_BOOL,	  /* dest: bool *, set to true */
	OPT_TYPE_STRING,  /* dest: const char **, points into argv */
	OPT_TYPE_INT,	  /* dest: long *, decimal, within [min, max] */
	OPT_TYPE_COUNT,	  /* dest: int *, incremented per use */
	OPT_TYPE_STRINGS, /* dest: struct opt_strings *, one more per use, pointing into argv */
};

enum { OPT_STRINGS_MAX = 64 }; /* values of one repeatable option */

struct opt_strings {
	const char *items[OPT_STRINGS_MAX];
	unsigned n;
};

struct opt {
	enum opt_type type;
	char short_name; /* 0 when the option has only a long name */
	const char *long_name;
	void *dest;
	const char *arg_name; /* shown in --help for STRING and INT */
	const char *help;
	long min, max; /* INT bounds */
};

#define OPT_BOOL(s, l, d, h)                                                                       \
	{                                                                                          \
		OPT_TYPE_BOOL, (s), (l), (d), NULL, (h), 0, 0                                      \
	}
#define OPT_STRING(s, l, d, a, h)                                                                  \
	{                                                                                          \
		OPT_TYPE_STRING, (s), (l), (d), (a), (h), 0, 0                                     \
	}
#define OPT_INT(s, l, d, a, h, min, max)                                                           \
	{                                                                                          \
		OPT_TYPE_INT, (s), (l), (d), (a), (h), (min), (max)                                \
	}
#define OPT_COUNT(s, l, d, h)                                                                      \
	{                                                                                          \
		OPT_TYPE_COUNT, (s), (l), (d), NULL, (h), 0, 0                                     \
	}
#define OPT_STRINGS(s, l, d, a, h)                                                                 \
	{                                                                                          \
		OPT_TYPE_STRINGS, (s), (l), (d), (a), (h), 0, 0                                    \
	}
#define OPT_END                                                                                    \
	{                                                                                          \
		OPT_TYPE_END, 0, NULL, NULL, NULL, NULL, 0, 0                                      \
	}

/* What an applet declares at the top of its file; --help is generated from it. */
struct applet_cli {
	const char *name;     /* "mint-key" */
	const char *synopsis; /* "[OPTIONS] [REPO_DIR]" */
	const char *summary;  /* one paragraph shown under the usage line */
	const struct opt *opts;
	int min_args, max_args; /* positional argument count; max_args < 0 means unbounded */
};

enum opt_result {
	OPT_RESULT_RUN = 0,  /* parsed: the applet goes on */
	OPT_RESULT_HELP = 1, /* --help printed: the applet returns EXIT_OK */
};

/*
 * Parse argv[1..argc) against cli->opts plus the options every applet has (-h/--help,
 * -q/--quiet, -v/--verbose, which set the log level). Positional arguments are moved, in order,
 * to argv[0..*ret_nargs). "--" ends option parsing. A usage error is reported through log with
 * "try 'tailpod NAME --help'" and returns -EINVAL: the applet then returns EXIT_USAGE.
 */
int opt_parse(const struct applet_cli *cli, int argc, char **argv, int *ret_nargs);

/* Print the generated help text of cli to stdout. */
void opt_print_help(const struct applet_cli *cli);

/* Map opt_parse's answer to the applet's exit status (help: 0, usage error: EXIT_USAGE). */
int opt_exit_status(int r);

#endif
