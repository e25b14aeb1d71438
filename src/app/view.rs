//! Read-only accessors: what the screens, the key map and tests read of the App.

use chrono::{DateTime, Utc};

use super::*;

impl App {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// How far the demo clock has been advanced (running clock only).
    pub fn clock_offset(&self) -> Option<chrono::Duration> {
        self.clock.offset()
    }

    pub fn status(&self) -> &SyncStatus {
        &self.status
    }

    pub fn network(&self) -> Network {
        self.network
    }

    pub fn mode(&self) -> AppMode {
        self.mode
    }

    pub fn settings(&self) -> Option<&UserSettings> {
        self.settings.as_ref()
    }

    pub fn effective(&self) -> Option<&EffectiveSettings> {
        self.effective.as_ref()
    }

    pub fn project(&self) -> Option<&Project> {
        self.project.as_ref()
    }

    pub fn password_saved(&self) -> bool {
        self.password_saved
    }

    pub fn counts(&self) -> &[EntityCount] {
        &self.counts
    }

    /// Every on-start rule with its state now (Home's expanded "why").
    pub fn checklist(&self) -> &[OnStartCheck] {
        &self.checklist
    }

    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    pub fn log_lines(&self) -> &[LogLine] {
        &self.log
    }

    /// Edits the auditor found lost (refreshed after each sync and when the log opens).
    pub fn lost_edits(&self) -> &[LostEdit] {
        &self.lost
    }

    pub fn screen(&self) -> &Screen {
        self.stack.last().expect("Home is always on the stack")
    }

    pub fn screen_kind(&self) -> ScreenKind {
        self.screen().kind()
    }

    pub fn stack(&self) -> &[Screen] {
        &self.stack
    }

    pub fn dialog(&self) -> Option<&Dialog> {
        self.overlays.dialog()
    }

    pub fn sync_screen(&self) -> Option<&SyncScreen> {
        self.overlays.sync_screen()
    }

    pub fn help_shown(&self) -> bool {
        self.overlays.help()
    }

    pub fn why_expanded(&self) -> bool {
        self.why_expanded
    }

    pub fn in_background(&self) -> bool {
        self.overlays.background()
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// Whether the terminal is large enough for the screens.
    pub fn fit(&self) -> Fit {
        self.fit
    }

    pub fn custom_run(&self) -> Option<&CustomRun> {
        self.custom.as_ref()
    }

    /// What the last custom command did, step by step.
    pub fn custom_log(&self) -> &[String] {
        &self.custom_log
    }

    pub fn has_control(&self) -> bool {
        self.has_control
    }

    /// The sync's UI gate as the device last reported it: open forms, UI transactions held.
    pub fn ui_gate(&self) -> GateView {
        self.gate_view
    }

    /// The device's profile (the SQLite file).
    pub fn profile_path(&self) -> &std::path::Path {
        &self.profile
    }

    /// The business-logic delay set from the Server panel, per entity.
    pub fn delay(&self, entity: &str) -> u64 {
        self.delays.get(entity).copied().unwrap_or(0)
    }

    /// The record the server-side demo controls act on: the open form, else the last one opened.
    pub fn open_record(&self) -> Option<(String, String)> {
        self.top_form()
            .filter(|f| f.origin == FormOrigin::Stored)
            .map(|f| (f.entity.clone(), f.id.clone()))
            .or_else(|| self.last_record.clone())
    }

    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// A mode switch waits for its sync.
    pub fn switch_pending(&self) -> bool {
        self.switch_pending
    }

    /// Every user and demo action applied, with the virtual time it was applied at (for
    /// `--record`). Engine status, engine events, effect results and ticks are not in it.
    pub fn recorded(&self) -> &[Recorded] {
        &self.recorded
    }

    /// The form on top of the stack, if the current screen is a form.
    pub fn top_form(&self) -> Option<&FormState> {
        match self.stack.last() {
            Some(Screen::Form(f)) => Some(f),
            _ => None,
        }
    }

    /// Home's menu, in order: Sync Errors first whenever there are any, then the auditor's lost
    /// edits whenever it found some.
    pub fn home_items(&self) -> Vec<HomeItem> {
        let mut items = Vec::new();
        let unresolved = self.conflicts.len().max(self.status.unresolved_conflicts);
        if unresolved > 0 {
            items.push(HomeItem::SyncErrors { count: unresolved });
        }
        if !self.lost.is_empty() {
            items.push(HomeItem::LostEdits {
                count: self.lost.len(),
            });
        }
        items.extend(self.counts.iter().map(|c| HomeItem::Entity {
            name: c.name.clone(),
            label: c.label.clone(),
            count: c.count,
        }));
        items.extend([HomeItem::Setup, HomeItem::Log, HomeItem::Server]);
        items
    }

    /// A foreground synchronization runs: the sync screen owns the app.
    pub fn foreground_sync_running(&self) -> bool {
        self.status.activity.mode() == Some(SyncMode::Foreground)
    }

    /// The focused text input, for drawing its cursor.
    pub fn focused_input(&self) -> Option<&tui_input::Input> {
        if let Some(SyncScreen::Login { fields, .. }) = self.overlays.sync_screen() {
            return Some(fields.focused());
        }
        match self.screen() {
            Screen::Form(f) => f.editing.as_ref(),
            Screen::Setup(s) => s.editing.as_ref(),
            Screen::Woodford(w) => w.editing.as_ref(),
            Screen::List(l) => l.search.typing(),
            _ => None,
        }
    }

    /// Where `ExportLog` writes by default: beside the profile, named for the moment, so a
    /// second export does not replace the first.
    pub fn default_export_path(&self) -> std::path::PathBuf {
        let dir = self
            .profile
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        dir.join(format!(
            "autosync-log-{}.jsonl",
            self.clock.now().format("%Y%m%dT%H%M%SZ")
        ))
    }
}
