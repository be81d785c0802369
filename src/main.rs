use clap::Parser;
use spares::cli::logging;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Parse first: the log format is a flag, and a usage error needs no
    // logging (clap prints it and exits).
    let cli = spares::cli::Cli::parse();
    let format = cli.log_format;
    logging::init(format);
    match spares::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => std::process::ExitCode::SUCCESS,
        Err(e) => {
            logging::fatal(format, &e.to_string());
            std::process::ExitCode::FAILURE
        }
    }
}
