//! The layout of `src/` as the crate doc's Layout section states it, held
//! by reading the sources: every `crate::` path (and `super::` path that
//! leaves its room) in code, and every external crate a room names, is
//! checked against the tables below. A wrong-way import fails this test
//! with the file, the line and the rule it breaks.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rooms, bottom first, and the rooms each may use.
const ROOMS: [(&str, &[&str]); 5] = [
    ("core", &[]),
    ("store", &["core"]),
    ("flows", &["store", "core"]),
    ("http", &["flows", "store", "core"]),
    ("cli", &["http", "flows", "store", "core"]),
];

/// External crates a room must not name: the core is pure (no database,
/// HTTP or async runtime), and only the edge speaks HTTP.
const FORBIDDEN_CRATES: [(&str, &[&str]); 3] = [
    (
        "core",
        &[
            "sea_orm",
            "entities",
            "migrations",
            "axum",
            "tower",
            "tower_http",
            "tokio",
            "utoipa_axum",
            "reqwest",
        ],
    ),
    ("store", &["axum", "tower", "tower_http", "utoipa_axum"]),
    ("flows", &["axum", "tower", "tower_http", "utoipa_axum"]),
];

/// The modules of `flows`, by height: a flow may use flows strictly
/// below it.
const FLOW_HEIGHTS: [(&str, u8); 11] = [
    ("allocation", 0),
    ("master", 0),
    ("users", 0),
    ("stock", 1),
    ("forecast_runs", 1),
    ("logistics", 2),
    ("replacement", 3),
    ("imports", 3),
    ("kpi_periods", 4),
    ("planning_jobs", 4),
    ("demo", 5),
];

/// Words the store must not use: it knows tables, not the flows built on
/// them.
const FLOW_WORDS_IN_STORE: [&str; 2] = ["replacement_request", "backorder"];

/// One source file: its module path below the crate root, and its code
/// with comments and string literals blanked out.
struct Source {
    file: PathBuf,
    module: Vec<String>,
    lines: Vec<String>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Blanks comments and the insides of string literals, so doc links and
/// messages are not taken for imports.
fn code_only(line: &str, in_block: &mut bool) -> String {
    let mut out = String::new();
    let chars: Vec<char> = line.chars().collect();
    let (mut i, mut in_str) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if *in_block {
            if c == '*' && next == Some('/') {
                *in_block = false;
                i += 1;
            }
        } else if in_str {
            if c == '\\' {
                i += 1;
            } else if c == '"' {
                in_str = false;
                out.push('"');
            }
        } else if c == '/' && next == Some('/') {
            break;
        } else if c == '/' && next == Some('*') {
            *in_block = true;
            i += 1;
        } else if c == '"' {
            in_str = true;
            out.push('"');
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(&root).expect("under src");
            let mut module: Vec<String> = rel
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if module
                .last()
                .is_some_and(|m| m == "mod" || m == "lib" || m == "main")
            {
                module.pop();
            }
            let text = std::fs::read_to_string(&file).expect("read source");
            let mut in_block = false;
            let lines = text.lines().map(|l| code_only(l, &mut in_block)).collect();
            Source {
                file: Path::new("src").join(rel),
                module,
                lines,
            }
        })
        .collect()
}

/// The crate-level module paths a line names: `crate::a::b` as `[a, b]`,
/// `super::` resolved against the file's own module.
fn named_paths(module: &[String], line: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    for start in 0..line.len() {
        let rest = &line[start..];
        let boundary = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        if !boundary {
            continue;
        }
        let (mut base, mut tail) = if let Some(t) = rest.strip_prefix("crate::") {
            (Vec::new(), t)
        } else if rest.starts_with("super::") {
            let mut base = module.to_vec();
            let mut t = rest;
            while let Some(after) = t.strip_prefix("super::") {
                base.pop();
                t = after;
            }
            (base, t)
        } else {
            continue;
        };
        while let Some(seg_end) = tail.find("::") {
            let seg = &tail[..seg_end];
            if seg.is_empty() || !seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
            base.push(seg.to_owned());
            tail = &tail[seg_end + 2..];
        }
        let last: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !last.is_empty() {
            base.push(last);
        }
        found.push(base);
    }
    found
}

fn allowed_rooms(room: &str) -> Option<&'static [&'static str]> {
    ROOMS.iter().find(|(r, _)| *r == room).map(|(_, a)| *a)
}

fn flow_height(module: &str) -> Option<u8> {
    FLOW_HEIGHTS
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, h)| *h)
}

/// Every breach of the layout, one line each.
fn breaches(sources: &[Source]) -> Vec<String> {
    let mut out = Vec::new();
    let rooms: BTreeSet<&str> = ROOMS.iter().map(|(r, _)| *r).collect();
    for s in sources {
        let Some(room) = s.module.first().map(String::as_str) else {
            continue; // lib.rs, main.rs: the crate root wires the rooms.
        };
        let Some(allowed) = allowed_rooms(room) else {
            out.push(format!(
                "{}: `{room}` is no room of the Layout",
                s.file.display()
            ));
            continue;
        };
        let forbidden: &[&str] = FORBIDDEN_CRATES
            .iter()
            .find(|(r, _)| *r == room)
            .map_or(&[], |(_, c)| *c);
        for (n, line) in s.lines.iter().enumerate() {
            let at = format!("{}:{}", s.file.display(), n + 1);
            for path in named_paths(&s.module, line) {
                let Some(target) = path.first().map(String::as_str) else {
                    continue;
                };
                if !rooms.contains(target) || target == room {
                    if target == room && room == "flows" {
                        out.extend(flow_breach(&at, &s.module, &path));
                    }
                    continue;
                }
                if !allowed.contains(&target) {
                    out.push(format!(
                        "{at}: `{room}` uses `{}`; it may use only {:?}",
                        path.join("::"),
                        allowed
                    ));
                }
            }
            for krate in forbidden {
                let names = |prefix: &str| {
                    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                        .any(|w| w == *krate || w.starts_with(&format!("{prefix}{krate}::")))
                };
                if names("") || names("::") {
                    out.push(format!("{at}: `{room}` names the crate `{krate}`"));
                }
            }
            if room == "store" {
                let lower = line.to_lowercase();
                for word in FLOW_WORDS_IN_STORE {
                    if lower.contains(word) {
                        out.push(format!("{at}: the store names `{word}`, a flow's business"));
                    }
                }
            }
        }
    }
    out
}

/// A flow using a flow at its own height or above.
fn flow_breach(at: &str, module: &[String], path: &[String]) -> Option<String> {
    let (from, to) = (module.get(1)?, path.get(1)?);
    if from == to {
        return None;
    }
    let (Some(hf), Some(ht)) = (flow_height(from), flow_height(to)) else {
        return Some(format!(
            "{at}: flows `{from}` or `{to}` has no height in FLOW_HEIGHTS"
        ));
    };
    (ht >= hf).then(|| {
        format!("{at}: flows::{from} (height {hf}) uses flows::{to} (height {ht}); a flow may use only flows below it")
    })
}

/// Module-to-module edges inside each room (`room::a -> room::b`), from
/// the sources.
fn edges(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        if s.module.len() < 2 {
            continue;
        }
        let from = format!("{}::{}", s.module[0], s.module[1]);
        for line in &s.lines {
            for path in named_paths(&s.module, line) {
                if path.len() >= 2 && path[0] == s.module[0] {
                    let to = format!("{}::{}", path[0], path[1]);
                    // Items of the room's own mod.rs (path[1] an item, not
                    // a module) are not modules: skip unknown names below.
                    if to != from {
                        graph.entry(from.clone()).or_default().insert(to);
                    }
                }
            }
        }
    }
    let modules: BTreeSet<String> = sources
        .iter()
        .filter(|s| s.module.len() >= 2)
        .map(|s| format!("{}::{}", s.module[0], s.module[1]))
        .collect();
    for targets in graph.values_mut() {
        targets.retain(|t| modules.contains(t));
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut found = stack[start..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn every_import_points_down_the_layout() {
    let sources = sources();
    assert!(sources.len() > 50, "the sources were found");
    let found = breaches(&sources);
    assert!(
        found.is_empty(),
        "imports against the Layout of src/lib.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_modules_import_each_other() {
    let graph = edges(&sources());
    assert!(graph.contains_key("flows::replacement"), "edges were read");
    if let Some(c) = cycle(&graph) {
        panic!("an import cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_checks_catch_what_they_should() {
    let module: Vec<String> = vec!["store".into(), "ledger".into()];
    let line = code_only(
        "use crate::flows::allocation; // crate::http::AppState in a comment",
        &mut false,
    );
    let s = Source {
        file: PathBuf::from("src/store/ledger.rs"),
        module: module.clone(),
        lines: [
            "let x = super::super::http::AppState::default();",
            "use axum::Json;",
            "let backorders = 1;",
            r#"let s = "crate::cli::Cli";"#,
        ]
        .iter()
        .map(|l| code_only(l, &mut false))
        .chain(std::iter::once(line))
        .collect(),
    };
    let found = breaches(&[s]);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found[0].contains("uses `http::AppState"));
    assert!(found[1].contains("names the crate `axum`"));
    assert!(found[2].contains("backorder"));
    assert!(found[3].contains("uses `flows::allocation`"));

    let flows = Source {
        file: PathBuf::from("src/flows/stock/documents.rs"),
        module: vec!["flows".into(), "stock".into(), "documents".into()],
        lines: vec!["use crate::flows::replacement::Viewer;".into()],
    };
    assert_eq!(breaches(&[flows]).len(), 1);

    let mut graph = BTreeMap::new();
    graph.insert("a::x".to_owned(), BTreeSet::from(["a::y".to_owned()]));
    graph.insert("a::y".to_owned(), BTreeSet::from(["a::x".to_owned()]));
    assert_eq!(
        cycle(&graph),
        Some(vec!["a::x".into(), "a::y".into(), "a::x".into()])
    );
}
