#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu), in /autograder/source.
# It installs what the grader and the student programs need: Node.js 20, Python 3, bubblewrap.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends ca-certificates curl gnupg python3 bubblewrap
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
apt-get install -y nodejs
cd /autograder/source
npm ci --no-audit --no-fund
