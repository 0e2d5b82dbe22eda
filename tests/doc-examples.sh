#!/bin/sh
# What the documentation shows must work as written: a reader copies it.
# - Each ```yaml block of docs/*.md and README.md is a scenario that must
#   load and pass; a block with a line "..." is an excerpt, only named.
# - Each `spawnfault inject` command of a ```sh block must run, within a
#   minute, without an error line of the launcher's; what the program
#   then does is the example's business.
# - Each native rule shown at the start of a line in a plain ``` block of
#   docs/faults.md must parse.
# One test point each.  TAP.  Usage: doc-examples.sh SPAWNFAULT SOURCE-ROOT
set -u
prog=$1 root=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spf-docex-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
echo "TAP version 13"
for doc in "$root"/README.md "$root"/docs/*.md; do
    rm -f "$tmp"/block-*
    awk -v dir="$tmp" '
        /^```yaml[ \t]*$/ { b++; f = sprintf("%s/block-%03d-%d", dir, b, NR + 1); on = 1; next }
        /^```/ { on = 0 }
        on { print > f }' "$doc"
    for f in "$tmp"/block-*; do
        [ -e "$f" ] || continue
        line=${f##*-}
        where="${doc#"$root"/}:$line"
        n=$((n + 1))
        if grep -qx '[ \t]*\.\.\.' "$f"; then
            echo "ok $n - $where # SKIP an excerpt"
            continue
        fi
        cp "$f" "$tmp/example.yaml"
        if "$prog" run "$tmp/example.yaml" >"$tmp/out" 2>&1; then
            echo "ok $n - $where"
        else
            echo "not ok $n - $where"
            sed 's/^/# /' "$tmp/out"
        fi
    done
done

# The seccomp backend may be missing (valgrind, old kernels): its
# examples are skipped with the launcher's own reason.
no_seccomp=
if ! "$prog" inject --fault 'execve:error=ENOENT:when=99:backend=seccomp' \
    -- true >/dev/null 2>"$tmp/probe" &&
    grep -q "seccomp supervisor cannot start" "$tmp/probe"; then
    no_seccomp=$(sed -n 's/^spawnfault: error: //p' "$tmp/probe" | head -n 1)
fi

# "FILE:LINE<TAB>COMMAND" for every inject command of a sh block, its
# continuation lines joined and a trailing "  # comment" dropped.
for doc in "$root"/README.md "$root"/docs/*.md; do
    awk -v doc="${doc#"$root"/}" '
        /^```sh[ \t]*$/ { on = 1; next }
        /^```/ { on = 0 }
        !on { next }
        {
            if (cont != "") { line = cont " " $0; at = start }
            else { line = $0; at = NR }
            if (line ~ /\\$/) { sub(/\\$/, "", line); cont = line; start = at; next }
            cont = ""
            if (line ~ /^[ \t]*#/ || line !~ /spawnfault inject/) next
            sub(/[ \t][ \t]+#[^\x27"]*$/, "", line)
            print doc ":" at "\t" line
        }' "$doc"
done >"$tmp/commands"
mkdir "$tmp/run"
while IFS="$(printf '\t')" read -r where cmd; do
    n=$((n + 1))
    case $cmd in
    *backend=seccomp*)
        if [ -n "$no_seccomp" ]; then
            echo "ok $n - $where # SKIP $no_seccomp"; continue
        fi ;;
    esac
    case $cmd in
    *--max-procs*)
        if [ "$(id -u)" -ne 0 ]; then
            echo "ok $n - $where # SKIP --max-procs needs root"; continue
        fi ;;
    esac
    case $cmd in
    */usr/bin/python3*)
        if [ ! -x /usr/bin/python3 ]; then
            echo "ok $n - $where # SKIP no /usr/bin/python3"; continue
        fi ;;
    esac
    # The examples name the launcher as installed or as built.
    cmd=$(printf '%s' "$cmd" |
        sed -e 's|\(build/\)\{0,1\}spawnfault inject|@SPF@ inject|g' \
            -e "s|@SPF@|$prog|g")
    (cd "$tmp/run" && timeout 60 sh -c "$cmd") >"$tmp/out" 2>"$tmp/err" \
        </dev/null
    got=$?
    # The program's own status is the example's business (a shell that
    # cannot fork exits 2, as the launcher does on bad input): the
    # launcher's complaint is its error line.
    if [ $got -ne 124 ] && ! grep -q "^spawnfault: error:" "$tmp/err"; then
        echo "ok $n - $where"
    else
        echo "not ok $n - $where: $cmd (exit $got)"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
done <"$tmp/commands"

# The rules docs/faults.md lists one a line, each with what it does.
awk '
    /^```[ \t]*$/ { on = !on; next }
    /^```/ { on = 0; next }
    on && /^[a-z]+\/[a-z]+[^ ]*=[^ ]+[ \t][ \t]+/ { print NR "\t" $1 }
' "$root/docs/faults.md" >"$tmp/rules"
while IFS="$(printf '\t')" read -r line rule; do
    n=$((n + 1))
    if "$prog" inject --fault "$rule" -- true >/dev/null 2>"$tmp/err"; then
        echo "ok $n - docs/faults.md:$line: $rule parses"
    else
        echo "not ok $n - docs/faults.md:$line: $rule"
        sed 's/^/# /' "$tmp/err" | head -3
    fi
done <"$tmp/rules"
echo "1..$n"
