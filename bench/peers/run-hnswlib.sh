#!/bin/sh
# run-hnswlib.sh: compile hnswlib/hnswlib_bench.cpp natively and run it.
# (The C++ source sits in a subdirectory because a .cpp file inside a Go
# package directory breaks go build for that package.)
#
#   bench/peers/run-hnswlib.sh --base B.fvecs --query Q.fvecs --truth T.ivecs [flags...]
#
# The binary goes to $OUT (default bench/out/, gitignored); the JSON report is
# printed on stdout, progress on stderr. Needs g++ and Debian's header-only
# libhnswlib-dev (/usr/include/hnswlib): apt-get install -y libhnswlib-dev.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../out}
mkdir -p "$out"
if [ ! -f /usr/include/hnswlib/hnswlib.h ]; then
	echo "run-hnswlib.sh: /usr/include/hnswlib missing; apt-get install -y libhnswlib-dev" >&2
	exit 1
fi
bin=$out/hnswlib_bench
if [ ! -x "$bin" ] || [ "$here/hnswlib/hnswlib_bench.cpp" -nt "$bin" ]; then
	echo "run-hnswlib.sh: compiling $bin" >&2
	${CXX:-g++} -O3 -march=native -std=c++17 -pthread -o "$bin.tmp" "$here/hnswlib/hnswlib_bench.cpp"
	mv "$bin.tmp" "$bin"
fi
exec "$bin" "$@"
