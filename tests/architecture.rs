//! Architecture invariant 1: the desk and the pure modules import no platform, HTTP or
//! storage-engine types. They talk to the store through `crate::store`'s own API only.

use std::path::Path;

/// Modules that must stay free of platform and engine types.
const PURE: &[&str] = &[
    "src/desk",
    "src/text",
    "src/checks",
    "src/command",
    "src/model.rs",
    "src/catalogue.rs",
    "src/roles.rs",
    "src/suggest.rs",
    "src/assist/extractive.rs",
    "src/assist/policy.rs",
    "src/assist/prompt.rs",
    "src/assist/tidy.rs",
    "src/assist/sse.rs",
];

/// Crates they may not name.
const FORBIDDEN: &[&str] = &[
    "serenity",
    "slack_morphism",
    "axum",
    "reqwest",
    "hyper",
    "sled",
    "tokio_tungstenite",
    "tungstenite",
];

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// True when `line` names `krate` as a path root (`sled::`, `use sled`, `::sled`).
fn names_crate(line: &str, krate: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    let mut from = 0;
    while let Some(pos) = code[from..].find(krate) {
        let at = from + pos;
        from = at + krate.len();
        let before = code[..at].chars().next_back();
        let after = &code[at + krate.len()..];
        let starts_word = !before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if starts_word && (after.starts_with("::") || code.trim_start().starts_with("use ")) {
            return true;
        }
    }
    false
}

#[test]
fn the_desk_and_pure_modules_import_no_platform_or_engine_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in PURE {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the scan found the modules: {files:?}");
    let mut violations = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for krate in FORBIDDEN {
                if names_crate(line, krate) {
                    violations.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "forbidden imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scan_recognises_an_import() {
    assert!(names_crate("use sled::Db;", "sled"));
    assert!(names_crate(
        "    let t: serenity::model::Id = x;",
        "serenity"
    ));
    assert!(!names_crate("// sled::Db is not used here", "sled"));
    assert!(!names_crate("let sledge = 1;", "sled"));
    assert!(!names_crate("let x = \"reqwest\";", "reqwest"));
}

// ---------------------------------------------------------------------------------------
// The layers and the file graph.
//
// Every `.rs` file under `src/` is read as tokens (comments, strings and `#[cfg(test)]`
// items left out), and every path it names (`use` trees, `crate::…`, `super::…`, `self::…`,
// a child module's name, `storydesk::…` in `main.rs`) is resolved to the file that defines
// it: the deepest module file on the path, and through a `mod.rs`'s `pub use` to the file
// it re-exports from. A `mod.rs` (or `lib.rs`) declaring and re-exporting its own children
// is not counted as depending on them: a module and its facade are one unit, and the
// children may use what the facade defines.

/// The layers, from the outside in. A file may use files of its own layer and of the
/// layers after it, never of a layer before it. Each entry names top-level modules (the
/// first segment of a module path; `main` is `src/main.rs`, the empty name `src/lib.rs`).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "adapters",
        &[
            "", "main", "cli", "serve", "server", "env", "admin", "doctor", "slack", "discord",
            "console", "testing",
        ],
    ),
    ("deliver", &["deliver", "drafting", "export", "supervise"]),
    ("desk", &["desk"]),
    ("config", &["config", "catalogue", "command", "roles"]),
    ("checks/assist", &["checks", "assist"]),
    (
        "text/store/model",
        &[
            "text",
            "store",
            "model",
            "template",
            "suggest",
            "notices",
            "telemetry",
            "health",
            "inflight",
            "redact",
            "logs",
        ],
    ),
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// The tokens of `text` with their line numbers; comments, string and character literals
/// and lifetimes are dropped.
fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'r' || c == 'b') && raw_string_start(&chars, i).is_some()) {
            // A string literal, plain or raw (`r"…"`, `r#"…"#`, `br"…"`, `b"…"`).
            let (hashes, start) = if c == '"' {
                (None, i + 1)
            } else {
                raw_string_start(&chars, i).unwrap()
            };
            i = start;
            match hashes {
                None => {
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        if at(i) == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                Some(n) => {
                    while i < chars.len() {
                        if chars[i] == '"' && (1..=n).all(|k| at(i + k) == '#') {
                            i += 1 + n;
                            break;
                        }
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
        } else if c == '\'' {
            // A character literal (`'x'`, `'\n'`, `'\u{200b}'`) or a lifetime (`'a`).
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), line));
        } else if c == ':' && at(i + 1) == ':' {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    out
}

/// Where a raw or byte string starts at `i`: the number of `#`s (`None` for `b"…"`, which
/// has escapes) and the index after the opening quote.
fn raw_string_start(chars: &[char], i: usize) -> Option<(Option<usize>, usize)> {
    let before = i.checked_sub(1).map(|j| chars[j]);
    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
        if chars.get(j) == Some(&'"') {
            return Some((None, j + 1));
        }
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((Some(hashes), j + 1))
}

fn is(tok: Option<&(Tok, usize)>, c: char) -> bool {
    matches!(tok, Some((Tok::Punct(p), _)) if *p == c)
}

fn ident(tok: Option<&(Tok, usize)>) -> Option<&str> {
    match tok {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

/// The index after the item that starts at `i` (up to its `;` or its closing brace).
fn skip_item(toks: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The tokens without `#[cfg(test)]` items, and the names of the test modules declared in
/// other files (`#[cfg(test)] mod tests;`).
fn without_tests(toks: Vec<(Tok, usize)>) -> (Vec<(Tok, usize)>, Vec<String>) {
    let mut out = Vec::new();
    let mut test_files = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let cfg_test = is(toks.get(i), '#')
            && is(toks.get(i + 1), '[')
            && ident(toks.get(i + 2)) == Some("cfg")
            && is(toks.get(i + 3), '(')
            && ident(toks.get(i + 4)) == Some("test")
            && is(toks.get(i + 5), ')')
            && is(toks.get(i + 6), ']');
        if cfg_test {
            let item = i + 7;
            let mut j = item;
            while ident(toks.get(j)).is_some_and(|w| w == "pub") || is(toks.get(j), '(') {
                j += if is(toks.get(j), '(') { 3 } else { 1 };
            }
            if ident(toks.get(j)) == Some("mod") && is(toks.get(j + 2), ';') {
                if let Some(name) = ident(toks.get(j + 1)) {
                    test_files.push(name.to_string());
                }
            }
            i = skip_item(&toks, item);
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    (out, test_files)
}

/// The paths of a `use` tree starting at `i` (after `use`), each with the name it binds;
/// returns the index after the `;`.
fn use_paths(toks: &[(Tok, usize)], mut i: usize, out: &mut Vec<(Vec<String>, String)>) -> usize {
    let mut prefix_stack: Vec<usize> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut alias: Option<String> = None;
    let flush = |current: &Vec<String>, alias: &mut Option<String>, out: &mut Vec<_>| {
        let mut path = current.clone();
        let mut name = path.last().cloned().unwrap_or_default();
        if name == "self" {
            path.pop();
            name = path.last().cloned().unwrap_or_default();
        }
        if let Some(a) = alias.take() {
            name = a;
        }
        if !path.is_empty() && name != "*" {
            out.push((path, name));
        }
    };
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct(';') => {
                if !current.is_empty() {
                    flush(&current, &mut alias, out);
                }
                return i + 1;
            }
            Tok::Ident(w) if w == "as" => {
                alias = ident(toks.get(i + 1)).map(str::to_string);
                i += 1;
            }
            Tok::Ident(w) => current.push(w.clone()),
            Tok::Punct('*') => current.push("*".into()),
            Tok::PathSep => {}
            Tok::Punct('{') => prefix_stack.push(current.len()),
            Tok::Punct(',') => {
                if current.len() > prefix_stack.last().copied().unwrap_or(0) {
                    flush(&current, &mut alias, out);
                }
                current.truncate(prefix_stack.last().copied().unwrap_or(0));
            }
            Tok::Punct('}') => {
                let keep = prefix_stack.pop().unwrap_or(0);
                if current.len() > keep {
                    flush(&current, &mut alias, out);
                }
                current.truncate(keep);
                // After the group, the tree goes back to the enclosing group's prefix.
                current.truncate(prefix_stack.last().copied().unwrap_or(0).min(current.len()));
                current.truncate(keep);
                // Mark the group as flushed: nothing more is appended to `keep`'s path.
                current.push(String::new());
                current.truncate(keep);
                if !matches!(toks.get(i + 1), Some((Tok::PathSep, _))) {
                    current.truncate(prefix_stack.last().copied().unwrap_or(0));
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// One source file: where it is, its module path, and what it names.
struct SourceFile {
    /// Relative to the crate root (`src/desk/mod.rs`).
    path: String,
    /// Its module path (`["desk"]`); `["main"]` for `src/main.rs`.
    module: Vec<String>,
    /// Every path it names, made absolute (from the crate root), with the line.
    uses: Vec<(Vec<String>, usize)>,
    /// What it re-exports (`pub use`): the name and the absolute path.
    reexports: Vec<(String, Vec<String>)>,
    /// The test module files it declares.
    test_files: Vec<String>,
    /// Its tokens (tests left out).
    toks: Vec<(Tok, usize)>,
}

fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .skip(1)
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let last = parts.pop().unwrap_or_default();
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// `segments` as an absolute path from the crate root, read in `module` (with the child
/// modules `children` in scope); `None` when it is not a path into this crate.
fn absolute(
    segments: &[String],
    module: &[String],
    children: &[String],
    in_main: bool,
) -> Option<Vec<String>> {
    let first = segments.first()?;
    let mut base: Vec<String>;
    let rest: &[String];
    if first == "crate" && !in_main || first == "storydesk" && in_main {
        base = Vec::new();
        rest = &segments[1..];
    } else if first == "self" && !in_main {
        base = module.to_vec();
        rest = &segments[1..];
    } else if first == "super" && !in_main {
        base = module.to_vec();
        let mut n = 0;
        while segments.get(n).is_some_and(|s| s == "super") {
            base.pop();
            n += 1;
        }
        rest = &segments[n..];
    } else if children.contains(first) && !in_main {
        base = module.to_vec();
        rest = segments;
    } else {
        return None;
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn read_source(root: &Path, file: &Path) -> SourceFile {
    let relative = file.strip_prefix(root).unwrap().to_path_buf();
    let path = relative.to_string_lossy().replace('\\', "/");
    let in_main = path == "src/main.rs";
    let module = if in_main {
        vec!["main".to_string()]
    } else {
        module_of(&relative)
    };
    let text = std::fs::read_to_string(file).unwrap();
    let (toks, test_files) = without_tests(tokens(&text));
    // The modules this file declares (`mod engine;`, `mod kind { … }`).
    let children: Vec<String> = toks
        .windows(2)
        .filter(|w| ident(Some(&w[0])) == Some("mod"))
        .filter_map(|w| ident(Some(&w[1])).map(str::to_string))
        .collect();
    let mut uses = Vec::new();
    let mut reexports = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let line = toks[i].1;
        if ident(toks.get(i)) == Some("use") {
            let public = i > 0
                && (ident(toks.get(i - 1)) == Some("pub")
                    || (is(toks.get(i - 1), ')')
                        && i >= 4
                        && ident(toks.get(i - 4)) == Some("pub")));
            let mut paths = Vec::new();
            let next = use_paths(&toks, i + 1, &mut paths);
            for (segments, name) in paths {
                if let Some(abs) = absolute(&segments, &module, &children, in_main) {
                    if public {
                        reexports.push((name, abs.clone()));
                    }
                    uses.push((abs, line));
                }
            }
            i = next;
            continue;
        }
        let starts_path = matches!(toks.get(i), Some((Tok::Ident(_), _)))
            && matches!(toks.get(i + 1), Some((Tok::PathSep, _)))
            && !(i > 0 && matches!(toks.get(i - 1), Some((Tok::PathSep, _))));
        if starts_path {
            let mut segments = Vec::new();
            let mut j = i;
            while let Some(w) = ident(toks.get(j)) {
                segments.push(w.to_string());
                if !matches!(toks.get(j + 1), Some((Tok::PathSep, _))) {
                    break;
                }
                j += 2;
            }
            if let Some(abs) = absolute(&segments, &module, &children, in_main) {
                uses.push((abs, line));
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    SourceFile {
        path,
        module,
        uses,
        reexports,
        test_files,
        toks,
    }
}

/// Every source file of the crate, test modules left out.
fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    paths.sort();
    let files: Vec<SourceFile> = paths.iter().map(|p| read_source(root, p)).collect();
    // Files that are `#[cfg(test)] mod NAME;` of another file.
    let mut tests = Vec::new();
    for f in &files {
        for name in &f.test_files {
            let mut module = f.module.clone();
            module.push(name.clone());
            tests.push(module);
        }
    }
    files
        .into_iter()
        .filter(|f| !tests.contains(&f.module))
        .collect()
}

/// The file that defines the item at `path`: the deepest module file on it, followed
/// through `pub use` re-exports of a facade.
fn resolve<'a>(files: &'a [SourceFile], path: &[String], depth: usize) -> Option<&'a SourceFile> {
    let by_module = |m: &[String]| {
        files
            .iter()
            .find(|f| f.module == m && f.path != "src/main.rs")
    };
    let mut found = by_module(&[])?;
    let mut n = 0;
    while n < path.len() {
        match by_module(&path[..n + 1]) {
            Some(f) => {
                found = f;
                n += 1;
            }
            None => break,
        }
    }
    if let Some(item) = path.get(n) {
        if depth < 8 {
            if let Some((_, target)) = found.reexports.iter().find(|(name, _)| name == item) {
                let mut target = target.clone();
                target.extend(path[n + 1..].iter().cloned());
                if let Some(f) = resolve(files, &target, depth + 1) {
                    return Some(f);
                }
            }
        }
    }
    Some(found)
}

/// True when `facade` (a `mod.rs` or `lib.rs`) declares `file` below it.
fn is_own_child(facade: &SourceFile, file: &SourceFile) -> bool {
    let is_facade = facade.path.ends_with("/mod.rs") || facade.path == "src/lib.rs";
    is_facade && file.module.len() > facade.module.len() && file.module.starts_with(&facade.module)
}

/// The file graph: for each file (by index), the files it uses, with the line of a use.
fn file_graph(files: &[SourceFile]) -> Vec<std::collections::BTreeMap<usize, usize>> {
    let index = |f: &SourceFile| files.iter().position(|g| std::ptr::eq(g, f)).unwrap();
    files
        .iter()
        .map(|file| {
            let mut edges = std::collections::BTreeMap::new();
            for (path, line) in &file.uses {
                if let Some(target) = resolve(files, path, 0) {
                    if std::ptr::eq(target, file) || is_own_child(file, target) {
                        continue;
                    }
                    edges.entry(index(target)).or_insert(*line);
                }
            }
            edges
        })
        .collect()
}

/// A cycle in `graph`, as the nodes along it, when there is one.
fn find_cycle<E>(graph: &[std::collections::BTreeMap<usize, E>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit<E>(
        n: usize,
        graph: &[std::collections::BTreeMap<usize, E>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[n] = Mark::Open;
        stack.push(n);
        for &m in graph[n].keys() {
            match marks[m] {
                Mark::Open => {
                    let from = stack.iter().position(|&s| s == m).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(m);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(m, graph, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks[n] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; graph.len()];
    for n in 0..graph.len() {
        if marks[n] == Mark::New {
            if let Some(c) = visit(n, graph, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// The layer of a file, by its top-level module.
fn layer_of(file: &SourceFile) -> Option<usize> {
    let top = file.module.first().map(String::as_str).unwrap_or("");
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&top))
}

#[test]
fn the_scan_reads_the_crate() {
    let files = source_files();
    let graph = file_graph(&files);
    let find = |p: &str| files.iter().position(|f| f.path == p).unwrap();
    let edges: usize = graph.iter().map(|e| e.len()).sum();
    assert!(
        files.len() > 80 && edges > 200,
        "{} files, {edges} edges",
        files.len()
    );
    // A `use crate::…` tree, a `super::` path, a re-export and a test module.
    let desk = find("src/desk/mod.rs");
    assert!(graph[desk].contains_key(&find("src/store/mod.rs")));
    assert!(graph[find("src/desk/review.rs")].contains_key(&desk));
    assert!(graph[find("src/desk/drafts.rs")].contains_key(&find("src/checks/engine.rs")));
    assert!(!files.iter().any(|f| f.path == "src/store/tests.rs"));
    assert!(graph[find("src/main.rs")].contains_key(&find("src/config.rs")));
}

#[test]
fn no_cycle_between_files() {
    let files = source_files();
    let mut graph = file_graph(&files);
    // Each cycle found is shown, then broken at its last edge to look for the next.
    let mut cycles = Vec::new();
    while let Some(cycle) = find_cycle(&graph) {
        let shown: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("{} (line {})", files[w[0]].path, graph[w[0]][&w[1]]))
            .chain(cycle.last().map(|&n| files[n].path.clone()))
            .collect();
        cycles.push(shown.join("\n    → "));
        let (from, to) = (cycle[cycle.len() - 2], cycle[cycle.len() - 1]);
        graph[from].remove(&to);
        if cycles.len() == 20 {
            break;
        }
    }
    assert!(
        cycles.is_empty(),
        "cycles between files:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn no_cycle_between_top_level_modules() {
    let files = source_files();
    let graph = file_graph(&files);
    let mut names: Vec<String> = Vec::new();
    let top = |f: &SourceFile| f.module.first().cloned().unwrap_or_default();
    for f in &files {
        if !names.contains(&top(f)) {
            names.push(top(f));
        }
    }
    let mut modules: Vec<std::collections::BTreeMap<usize, String>> =
        vec![Default::default(); names.len()];
    for (n, edges) in graph.iter().enumerate() {
        let from = names.iter().position(|m| *m == top(&files[n])).unwrap();
        for (&m, line) in edges {
            let to = names.iter().position(|x| *x == top(&files[m])).unwrap();
            // The crate root declares every module; it is above them all.
            if from != to && !names[from].is_empty() {
                modules[from]
                    .entry(to)
                    .or_insert_with(|| format!("{}:{line} → {}", files[n].path, files[m].path));
            }
        }
    }
    if let Some(cycle) = find_cycle(&modules) {
        let shown: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("{} ({})", names[w[0]], modules[w[0]][&w[1]]))
            .chain(cycle.last().map(|&n| names[n].clone()))
            .collect();
        panic!("a cycle between modules:\n  {}", shown.join("\n  → "));
    }
}

#[test]
fn layers_depend_only_inwards() {
    let files = source_files();
    let graph = file_graph(&files);
    let mut unplaced = Vec::new();
    let mut violations = Vec::new();
    for (n, file) in files.iter().enumerate() {
        let Some(from) = layer_of(file) else {
            unplaced.push(file.path.clone());
            continue;
        };
        for (&m, line) in &graph[n] {
            if let Some(to) = layer_of(&files[m]) {
                if to < from {
                    violations.push(format!(
                        "{}:{line} ({}) uses {} ({})",
                        file.path, LAYERS[from].0, files[m].path, LAYERS[to].0
                    ));
                }
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "files in no layer (add them to LAYERS): {unplaced:?}"
    );
    assert!(
        violations.is_empty(),
        "uses against the layer order ({}):\n{}",
        LAYERS.iter().map(|l| l.0).collect::<Vec<_>>().join(" → "),
        violations.join("\n")
    );
}

/// The `.enter()` / `.entered()` calls inside an `async fn` or an `async` block of `toks`,
/// by line.
fn spans_entered_in_async(toks: &[(Tok, usize)]) -> Vec<usize> {
    let mut ranges = Vec::new();
    for (i, _) in toks.iter().enumerate() {
        if ident(toks.get(i)) != Some("async") {
            continue;
        }
        // The body: the first `{` after `async` (past `move`, or the fn's signature).
        let mut j = i + 1;
        while j < toks.len() && !is(toks.get(j), '{') && !is(toks.get(j), ';') {
            j += 1;
        }
        if is(toks.get(j), '{') {
            let end = skip_item(toks, j);
            ranges.push((j, end));
        }
    }
    let mut lines = Vec::new();
    for (i, (tok, line)) in toks.iter().enumerate() {
        let called = matches!(tok, Tok::Ident(w) if w == "enter" || w == "entered")
            && is(toks.get(i.wrapping_sub(1)), '.')
            && is(toks.get(i + 1), '(');
        if called && ranges.iter().any(|&(a, b)| a < i && i < b) {
            lines.push(*line);
        }
    }
    lines
}

#[test]
fn no_span_is_entered_in_async_code() {
    let files = source_files();
    let mut found = Vec::new();
    for f in &files {
        for line in spans_entered_in_async(&f.toks) {
            found.push(format!("{}:{line}", f.path));
        }
    }
    assert!(
        found.is_empty(),
        "a span entered in async code is held across `.await`; attach it with \
         `.instrument(span)` instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scans_recognise_what_they_look_for() {
    let toks = |s: &str| without_tests(tokens(s)).0;
    // Comments, strings and test modules are not code.
    let t = toks("// crate::a\nlet s = \"crate::b\"; let r = r#\"x\"#; let c = '\"'; use crate::c;\n#[cfg(test)]\nmod tests { use crate::d; }");
    let mut paths = Vec::new();
    let at = t
        .iter()
        .position(|(w, _)| *w == Tok::Ident("use".into()))
        .unwrap();
    use_paths(&t, at + 1, &mut paths);
    assert_eq!(
        paths,
        [(vec!["crate".to_string(), "c".into()], "c".to_string())]
    );
    assert!(!t.iter().any(|(w, _)| *w == Tok::Ident("d".into())));
    // Use trees.
    let t = toks("use super::{self, a::{b, c as d}, e};");
    let mut paths = Vec::new();
    use_paths(&t, 1, &mut paths);
    let names: Vec<&str> = paths.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["super", "b", "d", "e"]);
    assert_eq!(paths[2].0, ["super", "a", "c"]);
    // Entered spans in async code, and not in sync code.
    let t = toks("fn f() { let _g = span.enter(); }\nasync fn g() {\n let _g = span.enter(); x.await; }\nfn h() { let f = async move { let _e = s.entered(); }; }");
    assert_eq!(spans_entered_in_async(&t), [3, 4]);
    // A cycle is found and shown.
    let mut graph: Vec<std::collections::BTreeMap<usize, ()>> = vec![Default::default(); 3];
    graph[0].insert(1, ());
    graph[1].insert(2, ());
    assert_eq!(find_cycle(&graph), None);
    graph[2].insert(1, ());
    assert_eq!(find_cycle(&graph), Some(vec![1, 2, 1]));
}

#[test]
fn main_only_parses_arguments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("src/main.rs")).unwrap();
    let lines = text.lines().count();
    assert!(
        lines < 250,
        "src/main.rs has {lines} lines: a command's work belongs in the library (src/cli/)"
    );
    let runtime: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            ["tokio", "axum", "serenity", "reqwest"]
                .iter()
                .any(|k| names_crate(l, k))
        })
        .map(|(n, l)| format!("src/main.rs:{}: {}", n + 1, l.trim()))
        .collect();
    assert!(
        runtime.is_empty(),
        "src/main.rs runs things itself instead of calling the library:\n{}",
        runtime.join("\n")
    );
}
