#!/bin/bash
# usage: scripts/sigterm-during-compare.sh BIN [extra serve flags]: SIGTERM during a long compare
BIN=$1; shift
D=$(mktemp -d)
$BIN serve --data $D --addr 127.0.0.1:7399 --log-level error "$@" 2>$D/err &
PID=$!
sleep 1
B=http://127.0.0.1:7399
for ds in a b; do
  curl -s -XPOST $B/v1/datasets -d "{\"name\":\"$ds\"}" >/dev/null
  curl -s -XPOST $B/v1/datasets/$ds/spaces -d '{"name":"s","dim":8}' >/dev/null
  python3 -c "
import json,sys
di=0 if '$ds'=='a' else 1
print(json.dumps({'points':[{'id':'p%d'%i,'vectors':{'s':[((i+di)*31+j*17)%97-48 for j in range(8)]}} for i in range(3000)]}))" > $D/pts.json
  curl -s -XPOST $B/v1/datasets/$ds/points --data-binary @$D/pts.json >/dev/null
done
( curl -s -o /dev/null -w "in-flight compare: HTTP %{http_code} after %{time_total}s\n" -XPOST $B/v1/compare -d '{"space":"s","a":"a","b":"b","permutations":100000}' ) &
CP=$!
sleep 0.5
T0=$(date +%s.%N)
kill -TERM $PID
wait $PID; RC=$?
T1=$(date +%s.%N)
wait $CP
echo "exit status $RC, $(echo "$T1 - $T0" | bc) s after SIGTERM"
rm -rf $D
