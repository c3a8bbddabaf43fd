#!/usr/bin/env bash
# Runs every example N times in a row (default 20) against `vllm mock`,
# once with the mock calling tools and once with --no-tool-calls, and fails
# on the first run that exits non-zero or prints an empty "answer:" line.
#
#   examples/against-mock.sh [N]
#
# The examples talk to the mock through VLLM_BASE_URL, as they would to a
# real server: a model that may or may not call a tool, think or stop early.
set -euo pipefail
runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
mock_pid=
cleanup() {
	if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$root/cmd/vllm" && go build -o "$work/vllm" .)
(cd "$root" && go build -o "$work/" ./examples/...)
examples=$(cd "$root/examples" && ls -d */ | tr -d / | while read -r d; do [ -f "$root/examples/$d/main.go" ] && [ ! -f "$root/examples/$d/go.mod" ] && echo "$d"; done)

for mode in tools no-tools; do
	flags=()
	[ "$mode" = no-tools ] && flags=(--no-tool-calls)
	port=$((20000 + RANDOM % 20000))
	"$work/vllm" mock --addr "127.0.0.1:$port" --max-model-len 1024 --reasoning 8 "${flags[@]}" >"$work/mock.log" 2>&1 &
	mock_pid=$!
	for _ in $(seq 100); do
		curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
		sleep 0.1 # a real process starting: poll until it listens
	done
	export VLLM_BASE_URL="http://127.0.0.1:$port/v1"
	failed=0
	for ex in $examples; do
		for i in $(seq "$runs"); do
			rc=0
			out=$(timeout 120 "$work/$ex" 2>&1) || rc=$?
			if [ "$rc" != 0 ]; then
				echo "FAIL [$mode] $ex run $i: exit status $rc"; echo "$out" | tail -5; failed=1; break
			fi
			if echo "$out" | grep -Eq '^answer: *$|answer after [^:]*: *$'; then
				echo "FAIL [$mode] $ex run $i: empty answer"; echo "$out" | tail -5; failed=1; break
			fi
		done
		[ "$failed" = 0 ] && echo "ok   [$mode] $ex: $runs runs"
		[ "$failed" = 1 ] && break
	done
	kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; mock_pid=
	[ "$failed" = 1 ] && exit 1
done
echo "all examples passed $runs runs in a row with tool calls on and off"
