//! The command line: `custgate [--config FILE] [serve|migrate|token|hash-password|check-config]`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::{app, telemetry, Application};

#[derive(Debug, Parser)]
#[command(
    name = "custgate",
    version,
    about = "A gateway between five customer API dialects"
)]
pub struct Cli {
    /// Configuration file (TOML); CUSTGATE__SECTION__KEY variables override it.
    #[arg(long, global = true, env = "CUSTGATE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every enabled dialect and the facade (the default).
    Serve,
    /// Apply the store's migrations and exit.
    Migrate,
    /// Print a development token for a dialect.
    Token {
        #[command(subcommand)]
        dialect: TokenDialect,
    },
    /// Hash a password (read from standard input) for a `password_hash` setting.
    HashPassword,
    /// Load and check the configuration, then exit.
    CheckConfig,
}

#[derive(Debug, Subcommand)]
pub enum TokenDialect {
    /// A JWT for the `tenant` dialect, signed with the configured key.
    Tenant {
        #[arg(long)]
        tenant: String,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    match run_inner(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::HashPassword = command {
        let mut line = String::new();
        if atty_stdin() {
            eprint!("password: ");
            std::io::stderr().flush()?;
        }
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']);
        anyhow::ensure!(!password.is_empty(), "the password must not be empty");
        println!("{}", custgate_http::hash_password(password));
        return Ok(());
    }

    let settings = Settings::load(cli.config.as_deref())?;
    match command {
        Command::CheckConfig => {
            app::check(&settings)?;
            println!("configuration is valid");
            Ok(())
        }
        Command::Token {
            dialect: TokenDialect::Tenant { tenant },
        } => {
            let token =
                custgate_tenant::issue_dev_token(&settings.dialect_section("tenant"), &tenant)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            Ok(())
        }
        Command::Migrate => runtime()?.block_on(async {
            telemetry::init(&settings.log);
            app::open_store(&settings).await?;
            println!("store is migrated");
            Ok(())
        }),
        Command::Serve => runtime()?.block_on(async {
            telemetry::init(&settings.log);
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
            Ok(())
        }),
        Command::HashPassword => unreachable!("handled above"),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn atty_stdin() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}
