# Sourced by run_v2.sh and tools/bench/v2.sh: installs the pinned peers into WORK (once, and
# again when a pin changes) and points PY and NODE_PATH at them.
#
#   . tools/peers/install_v2.sh; peers_v2_install WORK   # logs in WORK/out/install-*.out
#
# WORK gets a venv with simple-salesforce 1.12.10 (requirements-v2.txt, every package pinned)
# and jsforce 3.10.16 (npm ci from package-lock.json). Needs python3 (with venv), node and npm.
PEERS_V2_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Installs are redone when the pinned files change (their checksum is kept beside them).
peers_v2_stamp_ok() { [ -f "$2" ] && [ "$(cat "$2")" = "$(cat "${@:3}" | cksum)" ]; }
peers_v2_install_python() {
  local work="$1" stamp="$1/venv/.pins"
  if ! peers_v2_stamp_ok python "$stamp" "$PEERS_V2_HERE/requirements-v2.txt"; then
    rm -rf "$work/venv"
    timeout 600 python3 -m venv "$work/venv" &&
      timeout 600 "$work/venv/bin/pip" install -q --disable-pip-version-check \
        -r "$PEERS_V2_HERE/requirements-v2.txt" &&
      cat "$PEERS_V2_HERE/requirements-v2.txt" | cksum >"$stamp"
  fi
}
peers_v2_install_node() {
  local work="$1" stamp="$1/js/.pins"
  if ! peers_v2_stamp_ok node "$stamp" "$PEERS_V2_HERE/package.json" "$PEERS_V2_HERE/package-lock.json"; then
    rm -rf "$work/js" && mkdir -p "$work/js" &&
      cp "$PEERS_V2_HERE/package.json" "$PEERS_V2_HERE/package-lock.json" "$work/js/" &&
      (cd "$work/js" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >/dev/null) &&
      cat "$PEERS_V2_HERE/package.json" "$PEERS_V2_HERE/package-lock.json" | cksum >"$stamp"
  fi
}
peers_v2_install() { # WORK
  mkdir -p "$1/out"
  peers_v2_install_python "$1" >"$1/out/install-python.out" 2>&1 ||
    echo "install of simple-salesforce failed (see $1/out/install-python.out)"
  peers_v2_install_node "$1" >"$1/out/install-node.out" 2>&1 ||
    echo "install of jsforce failed (see $1/out/install-node.out)"
  PY="$1/venv/bin/python"
  export NODE_PATH="$1/js/node_modules"
}
