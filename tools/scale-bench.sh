#!/usr/bin/env bash
# How the passes and the verifier scale: generates Identity chains of 10k, 100k and 1M nodes and Ifs nested 100,
# 1000 and 1360 deep (tools/ModelGen), then times `inspect` (read and verify), `--passes none` (read and write) and
# the default pipeline with --verify, printing the seconds of every pass (report.json's passResults, repeated
# passes summed; with --verify a pass's time includes the verifier's run after it).
#
#   tools/scale-bench.sh [OPTIMIZE] [MODELGEN] [WORKDIR] [TIMEOUT_SECONDS]
#
# OPTIMIZE and MODELGEN default to the Release builds in this tree; a run over TIMEOUT (default 600) is cut off
# and reported as such. Sizes can be narrowed with CHAINS="10000 100000" and DEPTHS="100 1000".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
optimize=${1:-$root/src/Optimizer.Cli/bin/Release/net10.0/optimize}
modelgen=${2:-$root/tools/ModelGen/bin/Release/net10.0/modelgen}
work=${3:-$(mktemp -d)}
limit=${4:-600}
chains=${CHAINS:-10000 100000 1000000}
depths=${DEPTHS:-100 1000 1360}
mkdir -p "$work"

seconds() { # runs "$@" under the time limit; prints its wall time, or ">LIMIT" when cut off
  local start end
  start=$(date +%s.%N)
  if timeout "$limit" "$@" >/dev/null 2>"$work/stderr"; then
    end=$(date +%s.%N)
    printf '%.2f' "$(echo "$end - $start" | bc)"
  elif [ $? -eq 124 ]; then printf '>%s' "$limit"
  else printf 'failed: %s' "$(head -n 1 "$work/stderr")"
  fi
}

bench() { # name model
  local name=$1 model=$2 out="$work/$1.opt"
  echo "== $name"
  echo "inspect          $(seconds "$optimize" inspect "$model" --json) s"
  echo "--passes none    $(seconds "$optimize" "$model" -o "$out" --passes none) s"
  rm -rf "$out"
  local total
  total=$(seconds sh -c "\"$optimize\" \"$model\" -o \"$out\" --verify --json > \"$work/$name.json\"")
  echo "default --verify $total s"
  if [ -s "$work/$name.json" ]; then
    jq -r '[.passResults[] | {name, seconds}] | group_by(.name) | map({name: .[0].name, s: (map(.seconds) | add)})
           | sort_by(-.s) | .[] | "  \(.name)\t\(.s * 100 | round / 100) s"' "$work/$name.json" | column -t -s $'\t'
  fi
}

for n in $chains; do
  "$modelgen" identity-chain "$work/chain_$n.onnx" "$n" >/dev/null
  bench "identity-chain-$n" "$work/chain_$n.onnx"
done
for d in $depths; do
  "$modelgen" nested-if "$work/nested_$d.onnx" "$d" >/dev/null
  bench "nested-if-$d" "$work/nested_$d.onnx"
done
