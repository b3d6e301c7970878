use clap::Parser;

fn main() -> std::process::ExitCode {
    provincial_kpi::cli::run(provincial_kpi::cli::Cli::parse())
}
