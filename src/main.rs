use std::process::ExitCode;

use clap::Parser;

use autosync::cli::Cli;
use autosync::config::Config;

/// Exit code for a bad input file (config, project, scenario).
const EXIT_BAD_FILE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("autosync: {e}");
            return ExitCode::from(EXIT_BAD_FILE);
        }
    };
    match cli.command {
        None => {
            let _ = config;
            ExitCode::SUCCESS
        }
    }
}
