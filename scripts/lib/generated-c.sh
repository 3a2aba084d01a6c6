# shellcheck shell=bash
# Generated C files for the benchmarks of builds of many short processes. Source this file, then:
#
#   generate N DIR    # N small C files in DIR and a Makefile compiling each to an object file (`cc -O2 -c` of a
#                     # three-function file: a driver, cc1 and as per file)

generate() {
  local count=$1 dir=$2 index
  mkdir -p "$dir"
  for ((index = 0; index < count; index++)); do
    cat > "$dir/f$index.c" <<C
int f$index(int x) { int s = 0; for (int k = 0; k < x; k++) s += k * $index ^ (s >> 3); return s; }
static int g$index(const char *p) { int h = 0; while (*p) h = h * 31 + *p++; return h; }
int h$index(void) { return g$index("abcdefghijklmnopqrstuvwxyz$index") + f$index($index); }
C
  done
  { printf 'all:'; for ((index = 0; index < count; index++)); do printf ' f%d.o' "$index"; done
    printf '\n%%.o: %%.c\n\tcc -O2 -c $< -o $@\n'; } > "$dir/Makefile"
}
