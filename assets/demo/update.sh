#!/usr/bin/env bash
# The project update flow: publish v2, a background sync shows the down arrow, the down arrow
# starts a foreground sync that applies it, then back to background; Auto Sync is now locked.
source "$(dirname "$0")/lib.sh"

start
wait_for "succeeded"
say "The administrator publishes project v2 (adds Industry to the account form, locks Auto Sync)."
keys P
wait_for "published project version"
say "A background sync cannot apply it: it finds it and replaces Sync with the down arrow."
keys s
wait_for "↓"
show
say "The down arrow starts a manual foreground sync that applies the update."
keys s
wait_for "project update, foreground"
show
say "Setup: Auto Sync is locked by the administrator."
keys u
wait_for "Locked by the administrator"
show
quit
echo "update demo: ok"
