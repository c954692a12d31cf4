#!/usr/bin/env bash
# Manual speed comparison (not CI): llama.cpp's own llama-bench on a GGUF file, without any binding.
#
# npm's node-llama-cpp carries llama.cpp twice: prebuilt shared libraries (libllama, libggml and a CPU
# backend per x86 level, e.g. libggml-cpu-zen4.so with AVX-512/VNNI) and the exact source they were built
# from (llama/gitRelease.bundle). This compiles only tools/llama-bench from that source (~20 s, g++) and
# links it against the prebuilt libraries, so what runs is the same llama.cpp the npm package ships.
# (Calling llama.cpp through the JavaScript binding adds a per-token cost that is no fixed term, so
# decode speeds read through it are not llama.cpp's.)
#
# Usage: tools/llamacpp/llama-bench.sh NODE_MODULES_DIR FILE.gguf [llama-bench options]
#   e.g. (cd /tmp/llcpp && npm install node-llama-cpp)
#        tools/llamacpp/llama-bench.sh /tmp/llcpp/node_modules m-q8_0.gguf -t 2 -p 128 -n 32 -r 5
# apr's side: ./apr bench FILE.gguf -p 128 -n 32 -r 5 (alternate the two: the machines here are shared).
set -euo pipefail
nm="${1:?node_modules directory where node-llama-cpp is installed}"; shift
gguf="${1:?GGUF file}"; shift
libs="$nm/@node-llama-cpp/linux-x64/bins/linux-x64"
bundle="$nm/node-llama-cpp/llama/gitRelease.bundle"
for f in "$libs/libllama.v"*.so "$bundle"; do
  [ -e "$f" ] || { echo "llama-bench.sh: $f not found (npm install node-llama-cpp in ${nm%/node_modules})" >&2; exit 2; }
done
work="${LLAMA_BENCH_DIR:-${TMPDIR:-/tmp}/apr-llama-bench}"
bin="$work/llama-bench"
if [ ! -x "$bin" ] || [ "$bundle" -nt "$bin" ]; then
  rm -rf "$work/src"
  mkdir -p "$work"
  git clone -q "$bundle" "$work/src" 2>/dev/null
  src="$work/src"
  # -DNDEBUG: llama-bench warns that asserts distort timings otherwise
  g++ -O2 -DNDEBUG -std=c++17 -I"$src/include" -I"$src/ggml/include" -I"$src/common" -I"$src/vendor" \
    "$src/tools/llama-bench/llama-bench.cpp" "$src/tools/llama-bench/main.cpp" -o "$bin.tmp" \
    -L"$libs" -l:"$(basename "$(ls "$libs"/libllama.v*.so | head -1)")" \
    -l:"$(basename "$(ls "$libs"/libggml.v*.so | head -1)")" -l:libggml-base.so -l:libllama-common.so \
    -Wl,-rpath,"$libs"
  mv "$bin.tmp" "$bin"
fi
gguf="$(cd "$(dirname "$gguf")" && pwd)/$(basename "$gguf")"
# the CPU backends are found next to the working directory's libraries
cd "$libs"
exec "$bin" -m "$gguf" "$@"
