# backup-lib.sh: the sandbox host the backup*.test files share (issue 20), sourced by each.
#   bk_host          $T/sb synced from an origin of two workloads: web (uid 1002, subuids from
#                    231072; its spec bind-mounts its whole home and names the volume web-db)
#                    and db (uid 1001, subuids from 165536; %h/data bind-mounted, volume
#                    db-vol); config $T/cfg.env, backups in /var/backups (sb/var/backups)
#   bk_data          data in web's volume and bind mounts: files, a directory, a symlink, a hard
#                    link, an xattr, nanosecond mtimes, owners from web's uid and subuid range
#   bk_secrets       a secret in every place the config allows, each file's content a unique
#                    SECRET-... marker (what the invariant greps the archive bytes for)
#   bk ARGS...       tailpod ARGS --config $T/cfg.env in the sandbox; $T shown as T
#   bk_snap DIR      names, sizes, modes, owners, mtimes and link targets below sb/DIR
#   bk_same DIR      the same without directory mtimes (a restore's temp directory, made and
#                    removed in the home, changes the home's): what "nothing changed" compares
. "$TP_TOP/tests/peers/lib.sh"

bk_host() {
	sandbox_new sb
	mkdir repo
	printf '[Container]\nImage=docker.io/library/busybox:1.36\nExec=sleep infinity\nVolume=%%h:/homeall\nVolume=web-db:/db\n' >repo/web.container
	printf '[Container]\nImage=docker.io/library/alpine:3\nExec=sleep infinity\nVolume=%%h/data:/data:Z\nVolume=db-vol:/v\n' >repo/db.container
	make_origin origin.git repo
	printf 'TAILPOD_GIT_URL=file://%s/origin.git\nTAILPOD_STATE_DIR=%s/sb/state\nTAILPOD_TRANSFORM_DIR=%s/transforms\nTAILPOD_COMMAND_TIMEOUT=3\nTAILPOD_PODMAN_VERSION=5.8\nTAILPOD_BACKUP_DIR=/var/backups\n' \
		"$T" "$T" "$T" >cfg.env
	mkdir transforms && printf '[Container]\nLabel=a=b\n' >transforms/_base.container
	sandbox_tp sb sync --config "$T/cfg.env" >/dev/null 2>&1 || return 1
	mkdir -p sb/var/backups
	echo 'git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyNotSecret' >sb/etc/tailpod/known_hosts
}

# xattr PATH NAME VALUE: set a user xattr (no attr package needed).
xattr() { python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)' "$@"; }

bk_data() {
	local v=sb/home/web/.local/share/containers/storage/volumes/web-db/_data d=sb/home/db/data
	mkdir -p "$v/sub" "$d/deep/er" sb/home/db/.local/share/containers/storage/volumes/db-vol/_data
	printf 'volume data\n' >"$v/file" && head -c 200000 /dev/urandom >"$v/big.bin"
	ln "$v/file" "$v/hard" && ln -s file "$v/link" && ln -s /etc/shadow "$v/abs-link"
	printf 'x' >"$v/sub/x" && chmod 0640 "$v/sub/x" && chmod 0750 "$v/sub"
	mkdir -p sb/home/web/data && printf 'notes\n' >sb/home/web/data/notes.txt
	printf 'db data\n' >"$d/deep/er/f" && printf 'v\n' >sb/home/db/.local/share/containers/storage/volumes/db-vol/_data/v
	chown -R 1002:1002 sb/home/web/.local sb/home/web/data && chown -R 1001:1001 sb/home/db/data sb/home/db/.local
	chown -h 231072:231072 "$v/file" "$v/link" && chown 232072:232073 "$v/sub/x"
	xattr "$v/file" user.tailpod "kept"
	touch -h -d '2021-03-04 05:06:07.123456789' "$v/file" "$v/link" "$v/sub"
}

bk_secrets() {
	local s=sb/etc/tailpod/secrets
	mkdir -p "$s" sb/etc/tailpod/keys sb/home/web/.local/share/containers/storage/secrets/filedriver \
		sb/run/user/1002/ts-authkeys sb/home/web/data/ts-authkeys sb/home/web/.cache
	echo SECRET-deploy-key-default >"$s/deploy-key"
	echo SECRET-oauth-default >"$s/oauth.env"
	echo SECRET-in-secrets-dir >"$s/other"
	echo SECRET-ssh-key-configured >sb/etc/tailpod/keys/deploy
	echo SECRET-git-token >sb/etc/tailpod/git-token
	echo SECRET-oauth-policy >sb/etc/tailpod/oauth-alt.env
	printf '[Mint]\nOAuthFile=/etc/tailpod/oauth-alt.env\n' >sb/etc/tailpod/mint-key.conf
	age-keygen -o sb/etc/tailpod/host-age.key 2>/dev/null
	chmod 0600 "$s"/* sb/etc/tailpod/keys/deploy sb/etc/tailpod/git-token sb/etc/tailpod/oauth-alt.env sb/etc/tailpod/host-age.key
	echo SECRET-podman-store >sb/home/web/.local/share/containers/storage/secrets/filedriver/secretsdata.json
	echo SECRET-minted-run >sb/run/user/1002/ts-authkeys/web.env
	echo SECRET-minted-home >sb/home/web/data/ts-authkeys/web.env
	echo not-data >sb/home/web/.cache/c
	# A hard link to the deploy key in web's data, and a symlink to the secrets directory.
	ln sb/etc/tailpod/keys/deploy sb/home/web/data/innocent
	ln -s /etc/tailpod/secrets sb/home/web/data/secrets-link
	chown -R 1002:1002 sb/home/web/data sb/home/web/.local sb/home/web/.cache
	printf 'TAILPOD_SSH_KEY=/etc/tailpod/keys/deploy\nTAILPOD_GIT_TOKEN_FILE=/etc/tailpod/git-token\nTAILPOD_AGE_KEY=/etc/tailpod/host-age.key\n' >>cfg.env
}

bk() {
	sandbox_tp sb "$1" --config "$T/cfg.env" "${@:2}" 2>>"$T/err" | sed "s|$T|T|g; s/[0-9]\{8\}T[0-9]\{6\}Z/TS/g"
	return "${PIPESTATUS[0]}"
}

bk_snap() {
	(cd "sb/$1" && find . -printf '%p %s %m %U %G %T@ %l\n' | sort)
}

bk_same() {
	(cd "sb/$1" && find . \( -type d -printf '%p %m %U %G\n' \) -o -printf '%p %s %m %U %G %T@ %l\n' | sort)
}
export -f bk_host xattr bk_data bk_secrets bk bk_snap bk_same
