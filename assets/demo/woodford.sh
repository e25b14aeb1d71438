#!/usr/bin/env bash
# Woodford in the TUI: the administrator publishes the Background sync behavior No action
# (locked), the device takes the update with the down arrow, and the data-loss race of
# race-no-action.toml happens by hand: a slow server, a second save while the first uploads,
# and the auditor's finding on the Log.
source "$(dirname "$0")/lib.sh"

start
wait_for "Accounts           240"
wait_for "succeeded"
say "Woodford (c on Home): the project the server publishes, every setting of 'Configure Woodford' with its Lock."
keys c
wait_for "On the server: version 1"
show
say "Background sync behavior: No action — 'may cause data inconsistency or even data loss'. Lock it on every device, then publish (s)."
keys Down Down Down Down Down Down Down Down
wait_for "▸ Background sync behavior"
keys l
wait_for "not published"
show
keys s
wait_for "On the server: version 2"
say "The device learns of it only through a sync: a background sync finds version 2 and shows the down arrow."
keys Escape
wait_for "Synchronization"
keys s
wait_for "Update to v2"
wait_for "Sync (manual) finished"
show
say "The down arrow's foreground sync applies it: Setup now shows No action, locked."
keys s
wait_for "project update, foreground"
keys u
wait_for "Field Sales v2"
wait_for "No action 🔒"
show
say "A slow server: the Server panel holds account writes 5 s in its business logic."
keys p
wait_for "Server panel"
keys Down Down Down Down Down Down Down Down Down Down
wait_for "▸ Business-logic delay, account"
keys Enter
wait_for "account writes: 2000 ms"
keys Enter
wait_for "account writes: 5000 ms"
say "Edit the first account's City and save: On Change uploads it, and the server holds that write."
keys h Enter
wait_for "Accounts (240)"
keys Enter
wait_for "Account Name"
keys Down Down Down Enter
clear_input
type_text "Vienna"
keys Enter s
wait_for "Saved on the device"
say "While it uploads, save a second edit of the same record: No action lets the save run."
keys Up Up Enter
clear_input
type_text "+1 555 000 0002"
keys Enter s
wait_for "during Upload (No action)"
show
say "The sync's answer is written over the second edit: Home shows the auditor's finding."
keys h
wait_for "0 change(s) to upload"
wait_for "Lost edits"
show
say "Enter on it opens the Log, which lists the lost edit with its cause."
keys Home
wait_for "▸ ⚠ Lost edits"
keys Enter
wait_for "lost"
show
quit
echo "woodford demo: ok"
