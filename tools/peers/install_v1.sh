# Sourced by tools/bench/wan.sh: installs the pinned Bulk API 1.0 peers into WORK (once, and
# again when a pin changes) and points PY1 and TAPPY at them.
#
#   . tools/peers/install_v1.sh; peers_v1_install WORK   # logs in WORK/out/install-v1-*.out
#
# WORK gets a venv `venv-v1` with salesforce-bulk 2.2.0 and simple-salesforce 1.12.10
# (requirements-v1.txt, every package pinned) and a venv `venv-tap` with tap-salesforce 2.8.1,
# which pins its own dependencies (requirements-tap.txt). jsforce comes from install_v2.sh (the
# same jsforce serves both APIs). Needs python3 with venv.
PEERS_V1_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

peers_v1_venv() { # WORK VENV REQUIREMENTS
  local venv="$1/$2" pins="$PEERS_V1_HERE/$3"
  if [ ! -f "$venv/.pins" ] || [ "$(cat "$venv/.pins")" != "$(cksum <"$pins")" ]; then
    rm -rf "$venv"
    timeout 600 python3 -m venv "$venv" &&
      timeout 600 "$venv/bin/pip" install -q --disable-pip-version-check -r "$pins" &&
      cksum <"$pins" >"$venv/.pins"
  fi
}
peers_v1_install() { # WORK
  mkdir -p "$1/out"
  peers_v1_venv "$1" venv-v1 requirements-v1.txt >"$1/out/install-v1-python.out" 2>&1 ||
    echo "install of salesforce-bulk and simple-salesforce failed (see $1/out/install-v1-python.out)"
  peers_v1_venv "$1" venv-tap requirements-tap.txt >"$1/out/install-v1-tap.out" 2>&1 ||
    echo "install of tap-salesforce failed (see $1/out/install-v1-tap.out)"
  PY1="$1/venv-v1/bin/python"
  TAPPY="$1/venv-tap/bin/python"
}
