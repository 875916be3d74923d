//! `sanso`: the command-line entry point that wires sources, parsers, the lake and the
//! query surface together. Library crates keep typed errors; this binary is the one
//! place they become `anyhow` reports, and the exit code: 0 success, 1 runtime failure,
//! 2 bad usage or bad configuration.

mod causes;
mod checkpoint;
mod cli;
mod compact;
mod config;
mod demo;
mod detection;
mod evidence;
mod http;
mod hunt;
mod import;
mod incident;
mod incident_api;
mod ingestor;
mod metrics;
mod output;
mod report;
mod retention;
mod run;
mod run_state;
mod shell;
mod sinks;
mod sources;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::causes::Causes;
use crate::cli::{Cli, Command};
use crate::config::{Config, ConfigError};

/// Queries allocate and free buffers on every thread; see [`sanso_query::allocator`].
#[global_allocator]
static ALLOCATOR: sanso_query::allocator::Jemalloc = sanso_query::allocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The EVTX reader logs every chunk it opens at `info`; sanso reports
                // what matters about each file itself.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,evtx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sanso: {}", Causes(&err));
            if err.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.global.config.as_deref())?;
    let lake = config
        .lake
        .location(cli.global.data.as_deref(), cli.global.state_dir.as_deref())?;
    // These commands read or change the lake's folders directly, so far only locally.
    let data = |command: &str| {
        lake.local_root().map(Path::to_owned).ok_or_else(|| {
            anyhow::anyhow!(
                "sanso {command} works on a local lake only, and {lake} is in an object store"
            )
        })
    };
    match cli.command {
        Command::Run(args) => run::run(&config, &lake, &args),
        Command::Import(args) => import::import(&config, &lake, &args),
        Command::Demo(args) => demo_command(&args),
        Command::Sql(args) => output::sql(
            &lake,
            Arc::new(config.zone_map()),
            config.query.limits(),
            &args,
        ),
        Command::Shell => shell::shell(&lake, Arc::new(config.zone_map()), config.query.limits()),
        Command::Compact(args) => compact::compact(&config, &data("compact")?, &args),
        Command::Report(args) => report::command(&config, &data("report")?, &args),
        Command::Incident(command) => incident::command(&config, &data("incident")?, &command),
        Command::Evidence(args) => evidence::export(&config, &data("evidence")?, &args),
        Command::Retention(args) => retention::command(&config, &data("retention")?, &args),
        Command::Rules(cli::RulesCommand::Check { dir }) => {
            detection::check_rules(dir.as_deref(), &config.detection)
        }
        Command::Rules(cli::RulesCommand::Test { dir }) => {
            detection::test_rules(dir.as_deref(), &config.detection)
        }
        Command::Hunt(args) => hunt::hunt(
            &lake,
            Arc::new(config.zone_map()),
            config.query.limits(),
            &config.detection,
            &args,
        ),
    }
}

fn demo_command(args: &cli::DemoArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let spec = args.spec();
    if let Some(dir) = &args.out {
        let summary = demo::write_files(&spec, dir)
            .with_context(|| format!("writing demo files to {}", dir.display()))?;
        println!("{summary}");
        return Ok(());
    }
    let Some(addr) = args.send else {
        anyhow::bail!("sanso demo needs --out DIR or --send ADDR");
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let transport = if args.udp {
        demo::Transport::Udp
    } else {
        demo::Transport::Tcp
    };
    let sent = runtime
        .block_on(demo::send(&spec, addr, transport, args.rate))
        .with_context(|| format!("sending the demo feed to {addr}"))?;
    println!("sent {sent} lines to {addr}");
    Ok(())
}
