//! Scenario files: reproductions that replay headless through the same App core the TUI uses,
//! on the virtual clock, with expectations checked at each step (`autosync play`).

mod clock_advance;
pub mod describe;
pub mod expect;
pub mod fault_matrix;
pub mod format;
pub mod measure;
pub mod record;
pub mod runner;
pub mod server_journal;

pub use expect::Failure;
pub use format::{LoadedScenario, Scenario, Step, StepAction, load, parse};
pub use runner::{Injection, Outcome, RunError, RunOptions, Summary, TimelineEntry, run};
