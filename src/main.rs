use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use autosync::cli::{Cli, Command};
use autosync::config::Config;
use autosync::server::ServerArgs;

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
        None => tui(&config, &cli),
        Some(Command::Server(args)) => server(args, &config, cli.data_dir.as_deref()),
        Some(Command::Sync(ref args)) => sync(args.clone(), &config, &cli),
        Some(Command::Play(ref args)) => play(args),
        Some(Command::Soak(ref args)) => soak(args),
    }
}

/// `autosync` alone: the terminal UI. Exit 0 on quit, 1 with the reason when it cannot run.
fn tui(config: &Config, cli: &Cli) -> ExitCode {
    let options = autosync::tui::Options {
        data_dir: config.data_dir(cli.data_dir.as_deref()),
        server: cli.server.clone().or_else(|| config.server_url.clone()),
        fresh: cli.fresh,
        user_name: config.user_name.clone(),
        log_level: config.log.level.clone(),
        record: cli.record.clone(),
    };
    match autosync::tui::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autosync: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `autosync sync`: exit 0 when the sync succeeded, 1 with the reason when it failed.
fn sync(args: autosync::sync_cmd::SyncArgs, config: &Config, cli: &Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("autosync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let data_dir = config.data_dir(cli.data_dir.as_deref());
    let outcome = runtime.block_on(autosync::sync_cmd::run(
        &args,
        config,
        &data_dir,
        cli.server.as_deref(),
        cli.fresh,
    ));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("autosync: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `autosync server`: logs to stderr, runs until Ctrl-C or SIGTERM.
fn server(args: ServerArgs, config: &Config, data_dir: Option<&std::path::Path>) -> ExitCode {
    let filter = match tracing_subscriber::EnvFilter::try_new(&config.log.level) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "autosync: log.level `{}` is not a tracing filter: {e}",
                config.log.level
            );
            return ExitCode::from(EXIT_BAD_FILE);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("autosync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let data_dir = config.data_dir(data_dir);
    match runtime.block_on(autosync::server::run_standalone(args, config, &data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autosync: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `autosync play`: 0 when every expectation held, 1 when one failed, 2 for a malformed file.
fn play(args: &autosync::play_cmd::PlayArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("autosync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    ExitCode::from(runtime.block_on(autosync::play_cmd::run(args)))
}

/// `autosync soak`: 0 when every invariant held, 1 when one failed.
fn soak(args: &autosync::soak_cmd::SoakArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("autosync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    ExitCode::from(runtime.block_on(autosync::soak_cmd::run(args)))
}
