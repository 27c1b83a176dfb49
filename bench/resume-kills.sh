#!/usr/bin/env bash
# Kills `zerograd train` with SIGKILL at several moments after its first checkpoint appears (as the
# acceptance check c-resume-exact does), resumes each run with --resume and counts how many end
# identical to the uninterrupted run (test accuracy, test loss and model.safetensors bytes).
#   bash bench/resume-kills.sh epoch "0.05 0.25 0.45"     # end-of-epoch checkpoints (the default kind)
#   bash bench/resume-kills.sh every20 "0.1 0.6 1.1 ..."  # --checkpoint-every 20
# Each line names the checkpoint the resume started from. ZG_ARGS overrides the run
# (default: the issue's mlp run on 30000 examples, seed 7).
set -u
kind=${1:-epoch}; delays=${2:-"0.05 0.25 0.45"}
cd "$(dirname "$0")/.."
zg() { node --import tsx src/cli/run.ts "$@"; }
args=${ZG_ARGS:-"--model mlp --epochs 3 --limit 30000 --seed 7 --no-report --progress none"}
extra=""; [ "$kind" = "every20" ] && extra="--checkpoint-every 20"
out=$(mktemp -d)
metric() { node -e "const d=JSON.parse(require('fs').readFileSync(process.argv[1]+'/metrics.json','utf8'));process.stdout.write(d.test.accuracy+' '+d.test.loss)" "$1"; }
/usr/bin/time -f "%M %e" -o "$out/a.rss" node --import tsx src/cli/run.ts train $args $extra --out "$out/a" > "$out/a.log" 2>&1 || { tail -3 "$out/a.log"; exit 1; }
read -r rss seconds < "$out/a.rss"
a=$(metric "$out/a")
echo "uninterrupted: $a (peak RSS $((rss / 1024)) MB, $seconds s)"
same=0; tried=0
k=0
for delay in $delays; do
  # node itself in the background (not through the zg function: $! would be a subshell, and killing it
  # would leave node running on, racing the resume below).
  k=$((k+1)); b="$out/b$k"; node --import tsx src/cli/run.ts train $args $extra --out "$b" > "$b.log" 2>&1 & pid=$!
  while kill -0 $pid 2>/dev/null && [ ! -f "$b/checkpoints/last.ckpt" ]; do sleep 0.01; done
  sleep "$delay"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  [ -f "$b/metrics.json" ] && { echo "kill $k (+${delay} s): the run finished first"; continue; }
  at=$(node --import tsx -e "import('./src/train/checkpoint.ts').then(m=>{const c=m.readCheckpoint(process.argv[1]).meta;process.stdout.write('epoch '+c.epoch+' step '+c.stepInEpoch)})" "$b/checkpoints/last.ckpt")
  tried=$((tried+1))
  zg train --out "$b" --resume --no-report --progress none > "$b.2.log" 2>&1 || { echo "kill $k (+${delay} s, $at): resume failed: $(tail -1 "$b.2.log")"; continue; }
  r=$(metric "$b"); w=no; cmp -s "$out/a/model.safetensors" "$b/model.safetensors" && w=yes
  if [ "$r" = "$a" ] && [ $w = yes ]; then same=$((same+1)); echo "kill $k (+${delay} s, checkpoint at $at): identical"; else echo "kill $k (+${delay} s, checkpoint at $at): $r, same weights: $w"; fi
done
echo "$kind: $same of $tried killed and resumed runs identical to the uninterrupted one"
rm -rf "$out"
