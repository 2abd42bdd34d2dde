use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = custgate::cli::Cli::parse();
    custgate::cli::run(cli)
}
