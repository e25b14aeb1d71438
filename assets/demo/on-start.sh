#!/usr/bin/env bash
# The on-start rule and its 15-minute window, explained on Home, then "16 minutes later".
source "$(dirname "$0")/lib.sh"

say "Start: the on-start sync runs once."
start
wait_for "succeeded"

say "Send the app to the background and bring it back at once: synchronized no more than 15 minutes ago, so it is skipped."
keys b
wait_for "background"
keys r
wait_for "skipped"
say "w expands every on-start rule with its state and the minutes left."
keys w
wait_for "15"
show

say "16 minutes later (the virtual clock, no waiting), back from the background: it runs."
keys w b 6 r
wait_for "on-start sync started"
show
quit
echo "on-start demo: ok"
