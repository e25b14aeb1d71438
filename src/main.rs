use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use autosync::cli::{Cli, Command, DeviceArgs, command_name};
use autosync::config::Config;
use autosync::logging::{self, Echo};
use autosync::server::ServerArgs;

/// Exit code for a bad input file (config, project, scenario).
const EXIT_BAD_FILE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let unused = cli.unused_options();
    if !unused.is_empty() {
        eprintln!(
            "autosync: {} does not use {}; see `{} --help`",
            command_name(&cli.command),
            unused.join(", "),
            command_name(&cli.command)
        );
        return ExitCode::from(EXIT_BAD_FILE);
    }
    match cli.command {
        Some(Command::Completions { shell }) => return completions(shell),
        Some(Command::Man) => return man(),
        _ => {}
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("autosync: {e}");
            return ExitCode::from(EXIT_BAD_FILE);
        }
    };
    let echo = match cli.command {
        Some(Command::Server { .. }) => Echo::AlsoStderr,
        _ => Echo::FileOnly,
    };
    // Held until the process ends: dropping it flushes the log.
    let _log = match logging::init(&config.log, cli.log_level.as_deref(), echo) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("autosync: {e}");
            return ExitCode::from(EXIT_BAD_FILE);
        }
    };
    match &cli.command {
        None => tui(&config, &cli),
        Some(Command::Server { args, data }) => server(
            args.clone(),
            &config,
            data.or(&cli.device.data).data_dir.as_deref(),
        ),
        Some(Command::Sync { args, device }) => {
            sync(args.clone(), &config, &device.or(&cli.device))
        }
        Some(Command::Play(args)) => play(args),
        Some(Command::Soak(args)) => soak(args),
        Some(Command::Completions { .. } | Command::Man) => ExitCode::SUCCESS,
    }
}

/// `autosync completions SHELL`: the completion script on stdout.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "autosync", &mut script);
    print_all(&script)
}

/// Writes `bytes` to stdout; a closed pipe (`autosync man | head`) ends quietly.
fn print_all(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autosync: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `autosync man`: the manual page (roff) on stdout.
fn man() -> ExitCode {
    let page = clap_mangen::Man::new(Cli::command());
    let mut roff = Vec::new();
    match page.render(&mut roff) {
        Ok(()) => print_all(&roff),
        Err(e) => {
            eprintln!("autosync: cannot render the manual page: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `autosync` alone: the terminal UI. Exit 0 on quit, 1 with the reason when it cannot run.
fn tui(config: &Config, cli: &Cli) -> ExitCode {
    let options = autosync::tui::Options {
        data_dir: config.data_dir(cli.device.data.data_dir.as_deref()),
        server: cli
            .device
            .server
            .clone()
            .or_else(|| config.server_url.clone()),
        fresh: cli.device.fresh,
        user_name: config.user_name.clone(),
        record: cli.record.clone(),
        mouse: config.mouse,
        admin_token: cli.admin_token.clone(),
    };
    match autosync::tui::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autosync: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The commands' async runtime; `None` (said on stderr) when it cannot start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| eprintln!("autosync: cannot start the async runtime: {e}"))
        .ok()
}

/// `autosync sync`: exit 0 when the sync succeeded, 1 with the reason when it failed.
fn sync(args: autosync::cmd::sync::SyncArgs, config: &Config, device: &DeviceArgs) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let data_dir = config.data_dir(device.data.data_dir.as_deref());
    let outcome = runtime.block_on(autosync::cmd::sync::run(
        &args,
        config,
        &data_dir,
        device.server.as_deref(),
        device.fresh,
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

/// `autosync server`: logs to stderr and the log file, runs until Ctrl-C or SIGTERM.
fn server(args: ServerArgs, config: &Config, data_dir: Option<&std::path::Path>) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
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
fn play(args: &autosync::cmd::play::PlayArgs) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    ExitCode::from(runtime.block_on(autosync::cmd::play::run(args)))
}

/// `autosync soak`: 0 when every invariant held, 1 when one failed.
fn soak(args: &autosync::cmd::soak::SoakArgs) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    ExitCode::from(runtime.block_on(autosync::cmd::soak::run(args)))
}
