#!/bin/sh
# Run the whole test suite on a fresh Debian 12 machine: install what is
# missing (as root), build with warnings as errors, and run `make check`:
# the core's unit tests, then the Apache::Test suite against a real httpd
# under the event, worker and prefork MPMs.  Then t/run-sanitized-tests
# runs them again with the module built under AddressSanitizer and
# UndefinedBehaviorSanitizer, in a copy under /tmp (PH_NO_SANITIZERS=1
# leaves that pass out).  As root it then builds the Debian packages,
# installs them into this machine's apache2, sends a beat and purges them
# again (t/run-package-test, about 20 s).
#
#   sudo ./test.sh
set -eu
top=$(cd "$(dirname "$0")" && pwd)
"$top/.ci/install-deps"
cd "$top"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
./configure --enable-werror >/dev/null
make clean >/dev/null
make -j2
make check
if [ "${PH_NO_SANITIZERS:-}" != 1 ]; then
    "$top/t/run-sanitized-tests"
fi
if [ "$(id -u)" -eq 0 ]; then
    "$top/t/run-package-test"
else
    echo "test.sh: not root: t/run-package-test (build, install and purge the Debian packages) not run"
fi
