package deploy

// The remote side of a deployment: fixed POSIX sh scripts, run as 'sh -c SCRIPT sh ARGS...'
// (see Script), so host-specific values only ever arrive as quoted positional parameters.
// They need sh, coreutils (sha256sum, mv -T, ln -sfn, readlink, df) and nothing else.

// uploadScript writes stdin to $1/$2, creating $1 (umask 022: the service's DynamicUser must
// be able to read the release); with $3 = 1 it first removes $1 (a
// staging directory left by an interrupted deployment).
const uploadScript = `set -e
umask 022
d=$1 f=$2
if [ "$3" = 1 ]; then rm -rf -- "$d"; fi
mkdir -p -- "$d"
cat > "$d/$f"
`

// finishScript completes a staged release $p/releases/.$id.partial: writes SHA256SUMS ($3)
// and release.json ($4), verifies every checksum on the host, checks that the binary runs
// there, and renames the directory to $p/releases/$id.
const finishScript = `set -e
umask 022
p=$1 id=$2
cd -- "$p/releases/.$id.partial"
printf '%s' "$3" > SHA256SUMS
printf '%s\n' "$4" > release.json
chmod 755 edgewatt
if ! sha256sum -c --quiet SHA256SUMS >&2; then echo "checksum mismatch after upload" >&2; exit 3; fi
if ! ./edgewatt version >/dev/null 2>&1; then
	echo "the uploaded binary does not run on this machine: $(./edgewatt version 2>&1 | head -n 3)" >&2; exit 4
fi
cd ..
rm -rf -- "$id"
mv -- ".$id.partial" "$id"
`

// verifyScript checks an installed release $p/releases/$id against its SHA256SUMS.
const verifyScript = `cd -- "$1/releases/$2" && sha256sum -c --quiet SHA256SUMS >&2`

// switchScript points $p/current at releases/$id atomically (a new link renamed over the old
// one) and keeps the release it replaces as $p/previous.
const switchScript = `set -e
cd -- "$1"
id=$2
old=$(readlink current 2>/dev/null || true)
if [ -n "$old" ] && [ "$old" != "releases/$id" ]; then
	ln -sfn -- "$old" .previous.tmp && mv -T -- .previous.tmp previous
fi
ln -sfn -- "releases/$id" .current.tmp
mv -T -- .current.tmp current
touch -- "releases/$id"
`

// restoreScript sets current to releases/$2 and previous to releases/$3 ("" removes the
// link) and deletes the failed release $4 unless it is one of them. Used to roll back after
// a failed deployment and by 'deploy --rollback' (which swaps current and previous).
const restoreScript = `set -e
cd -- "$1"
if [ -n "$2" ]; then ln -sfn -- "releases/$2" .current.tmp && mv -T -- .current.tmp current; else rm -f current; fi
if [ -n "$3" ]; then ln -sfn -- "releases/$3" .previous.tmp && mv -T -- .previous.tmp previous; else rm -f previous; fi
if [ -n "$4" ] && [ "$4" != "$2" ] && [ "$4" != "$3" ]; then rm -rf -- "releases/$4"; fi
if [ -n "$2" ]; then touch -- "releases/$2"; fi
`

// pruneScript keeps the $2 most recently deployed releases (plus current and previous) and
// prints the ids it removed.
const pruneScript = `cd -- "$1/releases" 2>/dev/null || exit 0
cur=$(readlink ../current 2>/dev/null || true)
prev=$(readlink ../previous 2>/dev/null || true)
n=0
for r in $(ls -1t); do
	n=$((n+1))
	[ "releases/$r" = "$cur" ] && continue
	[ "releases/$r" = "$prev" ] && continue
	if [ "$n" -gt "$2" ]; then rm -rf -- "$r" && echo "$r"; fi
done
`

// unitScript installs the unit on stdin as $1/$2.service and restarts it ($3 is systemctl).
const unitScript = `set -e
tmp="$1/.$2.service.tmp"
cat > "$tmp"
mv -- "$tmp" "$1/$2.service"
"$3" daemon-reload
"$3" enable --quiet "$2.service"
"$3" restart "$2.service"
`

// activeScript waits up to $3 seconds for the unit $2 to be active ($1 is systemctl). The
// unit is Type=notify, so "active" means edgewatt serve said READY=1 (models loaded).
const activeScript = `i=0
while [ "$i" -lt "$3" ]; do
	if "$1" is-active --quiet "$2.service"; then exit 0; fi
	sleep 1; i=$((i+1))
done
"$1" status --no-pager --lines 15 "$2.service" >&2 || true
exit 1
`

// releaseJSONScript prints $p/releases/$id/release.json.
const releaseJSONScript = `cat -- "$1/releases/$2/release.json"`
