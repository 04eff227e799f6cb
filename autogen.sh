#!/bin/sh
# Regenerate the build system, then run configure with any arguments given.
set -e
srcdir=$(dirname "$0")
test -n "$srcdir" || srcdir=.
(cd "$srcdir" && autoreconf --force --install --verbose)
if [ -z "$NOCONFIGURE" ]; then
    exec "$srcdir/configure" "$@"
fi
