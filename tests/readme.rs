//! README.md's shell examples, run in order on the demo as a newcomer
//! pastes them: each ```sh/```bash block in its own bash with `set -euo
//! pipefail`, the demo users' tokens in `ADMIN`, `PLANNER`, `CLERK` and
//! `ENGINEER`, `spares` and `cargo run ... --` standing for this build of
//! the binary, and `curl` failing on any HTTP error. Only the address
//! differs: the README's `localhost:8080` is the test server's.
use std::path::Path;
use std::process::Output;

use crate::common::TestApp;

/// Blocks not run here, found by a phrase they contain, with the reason.
const NOT_RUN: [(&str, &str); 4] = [
    (
        "serve --demo",
        "it starts the server the examples run against",
    ),
    ("cargo test", "it runs this very test"),
    (
        "createdb spares",
        "it needs a PostgreSQL server of the reader's own",
    ),
    ("cargo bench", "benchmarks take minutes, in release builds"),
];

/// Defined before each block: the README's commands as this test runs them.
const PRELUDE: &str = r#"set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; echo; }
spares() { "$SPARES_BIN" "$@"; }
cargo() { while [ "$1" != "--" ]; do shift; done; shift; "$SPARES_BIN" "$@"; }
"#;

/// The shell blocks of a Markdown text, each with the line its fence opens on.
fn shell_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    let mut in_other = false;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        if open.is_some() || in_other {
            if trimmed == "```" {
                blocks.extend(open.take());
                in_other = false;
            } else if let Some((_, text)) = &mut open {
                text.push_str(line);
                text.push('\n');
            }
        } else if let Some(lang) = trimmed.strip_prefix("```") {
            if lang == "sh" || lang == "bash" {
                open = Some((i + 1, String::new()));
            } else {
                in_other = true;
            }
        }
    }
    blocks
}

/// Runs every README example on `app`, which holds the demo, and fails
/// naming the block's line with what it printed.
pub async fn examples_run_on_the_demo(app: &TestApp) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).expect("README.md");
    let work = tempfile::tempdir().expect("a working directory");
    for shared in ["scenarios", "tests"] {
        std::os::unix::fs::symlink(repo.join(shared), work.path().join(shared)).expect("link");
    }
    let address = app.base.trim_start_matches("http://");
    let mut ran = 0;
    for (line, block) in shell_blocks(&readme) {
        if let Some((_, why)) = NOT_RUN.iter().find(|(phrase, _)| block.contains(phrase)) {
            eprintln!("README.md:{line}: not run here: {why}");
            continue;
        }
        let script = format!("{PRELUDE}{}", block.replace("localhost:8080", address));
        let mut command = tokio::process::Command::new("bash");
        command
            .arg("-c")
            .arg(&script)
            .current_dir(work.path())
            .env("SPARES_BIN", env!("CARGO_BIN_EXE_spares"))
            .env("DATABASE_URL", &app.database_url);
        for (role, token) in &app.tokens {
            command.env(spares::flows::demo::shell_variable(*role), token);
        }
        let out: Output = command.output().await.expect("bash runs");
        assert!(
            out.status.success(),
            "the README example at README.md:{line} failed ({}):\n{block}\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        ran += 1;
    }
    assert!(
        ran >= 9,
        "only {ran} README examples ran: are the fences still ```sh?"
    );
}

#[test]
fn shell_blocks_are_found_with_their_lines() {
    let text = "intro\n```sh\necho one\n```\n```text\n```sh inside text\n```\n```bash\necho two\necho three\n```\n";
    assert_eq!(
        shell_blocks(text),
        [
            (2, "echo one\n".to_owned()),
            (8, "echo two\necho three\n".to_owned())
        ]
    );
}
