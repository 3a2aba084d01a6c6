# Replaces itself with a fresh shell running itself COUNT times (an exec storm), then exits with status 7.
#   sh exec_storm.sh COUNT
count=$1
if [ "$count" -gt 0 ]; then exec /bin/sh "$0" $((count - 1)); fi
exit 7
