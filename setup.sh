#!/usr/bin/env bash
# Set up allo-rtl for development: system tools, a virtualenv in .venv, an editable install with
# the pinned dependencies. Safe to re-run; a re-run with nothing to do takes a second or two.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
repo=$PWD
VENV=.venv
STAMP="$VENV/.allo-rtl-setup"

log() { echo "[setup] $*"; }
warn() { echo "[setup] WARNING: $*" >&2; }

# Run a command with its output in a log; show the log only when the command fails.
quiet() {
    local logfile rc=0
    logfile=$(mktemp)
    "$@" >"$logfile" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        # (drops the noise of configured index locations that don't exist on some machines)
        grep -v "is ignored: it is neither a file nor a directory" "$logfile" >&2 || true
        echo "[setup] ERROR: failed ($rc): $*" >&2
    fi
    rm -f "$logfile"
    return "$rc"
}
pip_q() { quiet "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }

# --- Python >= 3.11 (3.12 preferred) ------------------------------------------------------------
py_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

find_python() {
    local cand
    if command -v python3.12 >/dev/null 2>&1 && python3.12 --version >/dev/null 2>&1; then
        echo python3.12; return
    fi
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3.12; do
        if [ -x "$cand" ] && "$cand" --version >/dev/null 2>&1; then echo "$cand"; return; fi
    done
    if command -v python3 >/dev/null 2>&1 && py_ok python3; then
        warn "python3.12 not found; using $(python3 --version 2>&1) from python3"
        echo python3; return
    fi
    return 1
}

# --- system packages ----------------------------------------------------------------------------
# command -> Debian package. iverilog: Icarus simulator; g++/make: Verilator builds; perl: the
# verilator driver script.
declare -A SYS_PKGS=([iverilog]=iverilog [g++]=g++ [make]=make [perl]=perl)
missing=()
for cmd in iverilog g++ make perl; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${SYS_PKGS[$cmd]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
    log "system tools present (iverilog, g++, make, perl)"
elif ! command -v apt-get >/dev/null 2>&1; then
    warn "apt-get not available; install these yourself: ${missing[*]}"
elif [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    warn "not root and no sudo; install these yourself: ${missing[*]}"
else
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    log "installing system packages: ${missing[*]}"
    quiet "${SUDO[@]}" apt-get update
    quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- virtualenv ---------------------------------------------------------------------------------
if [ -x "$VENV/bin/python" ] && ! py_ok "$VENV/bin/python"; then
    warn "$VENV is broken or too old; recreating it"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    PY=$(find_python) || { echo "[setup] ERROR: no Python >= 3.11 found" >&2; exit 1; }
    log "creating $VENV with $("$PY" --version 2>&1)"
    "$PY" -m venv "$VENV"
    log "upgrading pip"
    pip_q install --upgrade pip
fi

# --- editable install ---------------------------------------------------------------------------
# Reinstall only when the packaging files, the set of top-level packages, the interpreter or the
# repo's location changed, or when the distribution is gone from the venv.
want_stamp=$(
    {
        cat pyproject.toml setup.py
        ls -d allo_rtl/__init__.py sim/__init__.py boards/__init__.py 2>/dev/null || true
        "$VENV/bin/python" --version
        echo "$repo"
    } | sha256sum | cut -d' ' -f1
)
installed_ok() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] &&
        "$VENV/bin/python" -c 'import importlib.metadata as m; m.distribution("allo-rtl")' >/dev/null 2>&1
}
if installed_ok; then
    log "allo-rtl already installed in $VENV (editable)"
else
    log "installing allo-rtl (editable) with pinned dependencies"
    pip_q install -e .
    echo "$want_stamp" > "$STAMP"
fi

log "done: $("$VENV/bin/python" --version 2>&1) in $VENV"
