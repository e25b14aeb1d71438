#!/usr/bin/env bash
# Shared by the demos: start autosync in a tmux session of fixed size, type plain keys, and wait
# for text on the screen (tmux capture-pane) instead of sleeping a fixed time.
set -euo pipefail

DEMO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$DEMO_DIR/../.." && pwd)"
# The binary: $AUTOSYNC, else the newest of the release and debug builds.
AUTOSYNC="${AUTOSYNC:-}"
if [[ -z "$AUTOSYNC" ]]; then
  AUTOSYNC="$(ls -t "$REPO/target/release/autosync" "$REPO/target/debug/autosync" 2>/dev/null | head -1 || true)"
fi
[[ -n "$AUTOSYNC" ]] || { echo "demo: build autosync first (cargo build --release)" >&2; exit 2; }
command -v tmux >/dev/null || { echo "demo: tmux is not installed (apt-get install tmux)" >&2; exit 2; }

SESSION="autosync-demo-$$"
DATA="$(mktemp -d)"
# Seconds to linger after each narration line, so people can read along (0 in CI).
DEMO_PAUSE="${DEMO_PAUSE:-1}"
# How long to wait for a screen before the demo fails.
DEMO_TIMEOUT="${DEMO_TIMEOUT:-20}"

cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

say() {
  printf '\n\033[1m▶ %s\033[0m\n' "$*"
  sleep "$DEMO_PAUSE"
}

# start [autosync args...]: a fresh profile and embedded server in a 100x30 window.
start() {
  tmux new-session -d -s "$SESSION" -x 100 -y 30 "NO_COLOR=1 '$AUTOSYNC' --fresh --data-dir '$DATA' $*"
  if [[ -n "${DEMO_ATTACH:-}" ]]; then echo "watch it: tmux attach -t $SESSION"; fi
}

screen() { tmux capture-pane -t "$SESSION" -p; }

# wait_for TEXT: until TEXT is on the screen, or fail showing the screen.
wait_for() {
  local deadline=$((SECONDS + DEMO_TIMEOUT))
  until screen | grep -qF -- "$1"; do
    if ((SECONDS >= deadline)); then
      echo "demo: waited ${DEMO_TIMEOUT}s for \"$1\"; the screen was:" >&2
      screen >&2
      exit 1
    fi
    sleep 0.1
  done
}

# keys KEY...: tmux key names (Enter, Escape, Down, BSpace) or single characters.
keys() { tmux send-keys -t "$SESSION" "$@"; }

# type TEXT: literal text into the focused input.
type_text() { tmux send-keys -t "$SESSION" -l "$1"; }

# clear_input: empties the focused input with Backspace.
clear_input() { for _ in $(seq 1 60); do keys BSpace; done; }

show() { screen | sed 's/^/    /'; }

# quit: q, confirm if asked, and wait until autosync has left the terminal.
quit() {
  keys q
  local deadline=$((SECONDS + DEMO_TIMEOUT))
  while tmux has-session -t "$SESSION" 2>/dev/null; do
    if screen | grep -qF "Discard (d)"; then keys d; fi
    if ((SECONDS >= deadline)); then echo "demo: autosync did not quit" >&2; exit 1; fi
    sleep 0.1
  done
}
