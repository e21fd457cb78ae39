/* kube_yaml.h: a bounded structural check of the YAML files a .kube unit hands to `podman kube
 * play` (Yaml=) or to its --configmap option (ConfigMap=). Not a YAML parser and not a Kubernetes
 * schema: a line scanner that splits documents at "---", finds each document's top-level
 * apiVersion: and kind:, and refuses what no kube play file needs and what makes a YAML bomb —
 * aliases, deep nesting, long lines, many documents, bytes that are not printable UTF-8. The kinds
 * are those podman's kube play acts on (pkg/domain/infra/abi/play.go); it skips any other kind
 * silently, which here is an error, since a typo in kind: would deploy nothing. */
#ifndef TAILPOD_KUBE_YAML_H
#define TAILPOD_KUBE_YAML_H

#include <stddef.h>

enum {
	KUBE_YAML_FILE_MAX = 1024 * 1024, /* bytes in one file (= FILESET_FILE_MAX) */
	KUBE_YAML_LINE_MAX = 64 * 1024,	  /* bytes in one line: base64 data in a Secret fits */
	KUBE_YAML_DEPTH_MAX = 64,	  /* nesting: indentation levels, "- " and flow brackets */
	KUBE_YAML_INDENT_MAX = 512,	  /* columns of indentation */
	KUBE_YAML_DOCS_MAX = 256,	  /* documents in one file */
	KUBE_YAML_MSG_MAX = 200,
};

enum kube_yaml_role {
	KUBE_YAML_PLAY,	     /* Yaml=: at least one document kube play runs */
	KUBE_YAML_CONFIGMAP, /* ConfigMap=: ConfigMap documents only */
};

struct kube_yaml_problem {
	unsigned line; /* 1-based */
	char msg[KUBE_YAML_MSG_MAX];
};

/* 0 when data[0..size) passes for role; 1 with *ret set to the first problem. */
int kube_yaml_check(const char *data, size_t size, enum kube_yaml_role role,
		    struct kube_yaml_problem *ret);

#endif
