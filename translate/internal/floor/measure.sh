#!/bin/sh
# measure.sh: time and peak RSS of the whole `xt2nft FILE > /dev/null`
# process at 10,000, 100,000 and 1,000,000 generated rules, beside the floor
# (read, split into words, write as many bytes: main.go here) and
# iptables-restore-translate -f, in the same run. Run from the repository
# root:
#
#	sh translate/internal/floor/measure.sh [SIZES]   # default: 10000 100000 1000000
#
# Environment: RUNS (hyperfine runs, default 5; 3 at 1M), IRT_MAX (the
# largest size iptables-restore-translate is run at, default 100000), BASE
# (another xt2nft binary, e.g. a build of main, run in the same rounds and
# shown in a last column).
# Times are hyperfine's min and median; peak RSS is the range of "Maximum
# resident set size" of three /usr/bin/time -v runs.
set -eu
sizes=${*:-10000 100000 1000000}
runs=${RUNS:-5}
irt_max=${IRT_MAX:-100000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/xt2nft" ./cmd/xt2nft
go build -o "$dir/floor" ./translate/internal/floor

# peak CMD...: min-max of three runs' maximum resident set size, in MB
peak() {
	for i in 1 2 3; do
		/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1
	done | sort -n | awk 'NR==1{lo=$1} {hi=$1} END{printf "%.1f-%.1f MB", lo/1024, hi/1024}'
}

# seconds NAME: min and median seconds of command NAME in the last hyperfine export
seconds() {
	python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]:
        t = sorted(r["times"]); print("%.3f/%.3f s" % (t[0], t[len(t)//2]))' "$dir/h.json" "$1"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s | %-22s | %-22s | %-22s | %s\n' rules "xt2nft min/median, peak" "floor" "iptables-restore-translate" "xt2nft/irt, xt2nft/floor (median)"
for n in $sizes; do
	f=$dir/$n.rules
	go run ./translate/internal/genrules -n "$n" >"$f" 2>/dev/null
	bytes=$("$dir/xt2nft" "$f" | wc -c)
	r=$runs
	[ "$n" -ge 1000000 ] && r=${RUNS:-3}
	set -- -n xt2nft "$dir/xt2nft $f" -n floor "$dir/floor -bytes $bytes $f"
	if [ "$n" -le "$irt_max" ]; then
		set -- "$@" -n irt "iptables-restore-translate -f $f"
	fi
	if [ -n "${BASE:-}" ]; then
		set -- "$@" -n base "$BASE $f"
	fi
	hyperfine -N -w 1 -r "$r" --export-json "$dir/h.json" "$@" >/dev/null 2>&1
	x=$(seconds xt2nft)
	fl=$(seconds floor)
	irt=-
	ratio=$(python3 -c 'import json,sys
res = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
out = []
if "irt" in res: out.append("%.2fx irt" % (res["xt2nft"]/res["irt"]))
out.append("%.1fx floor" % (res["xt2nft"]/res["floor"]))
print(", ".join(out))' "$dir/h.json")
	if [ "$n" -le "$irt_max" ]; then
		irt="$(seconds irt), $(peak iptables-restore-translate -f "$f")"
	fi
	base=
	if [ -n "${BASE:-}" ]; then
		base=" | base: $(seconds base), $(peak "$BASE" "$f")"
	fi
	printf '%-9s | %-22s | %-22s | %-22s | %s%s\n' "$n" "$x, $(peak "$dir/xt2nft" "$f")" \
		"$fl, $(peak "$dir/floor" -bytes "$bytes" "$f")" "$irt" "$ratio" "$base"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
