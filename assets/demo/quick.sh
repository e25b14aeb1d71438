#!/usr/bin/env bash
# The shortest demo (CI runs it): a fresh start syncs on start, an edit is saved, the on-change
# sync uploads it, and the pending count returns to 0.
source "$(dirname "$0")/lib.sh"

say "A fresh profile: the first start syncs on start and fills the lists."
start
wait_for "Accounts           240"
wait_for "succeeded"
show

say "Open the first account, edit its City and save: Auto Sync 'On Start & On Change' uploads it."
keys Enter
wait_for "Accounts (240)"
keys Enter
wait_for "Account Name"
keys Down Down Down Enter
clear_input
type_text "Vienna"
keys Enter
keys s
wait_for "Saved on the device"
keys Escape
wait_for "Accounts (240)"
keys Escape
wait_for "0 change(s) to upload"
show

say "Quit: the terminal is restored."
quit
echo "quick demo: ok"
