//! Every built-in check rule fires on a crafted example and stays quiet on a corpus of
//! clean, well-edited news articles (tests/fixtures/articles: references in APA, MLA and
//! Chicago style, with the sources each article was written from).
//!
//! Each crafted example is a clean article with one thing spoiled; the test asserts that
//! exactly the rule in question fires, so an example cannot pass by tripping another rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use storydesk::checks::{markdown, Checker, Finding, SourceText};
use storydesk::config::{Config, Template};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles")
}

/// A fixture article and its sources (`NAME.md`, `NAME.source*.txt`).
struct Fixture {
    name: String,
    article: String,
    sources: Vec<(String, String)>,
}

fn corpus() -> Vec<Fixture> {
    let dir = fixtures();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".md").map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let article = std::fs::read_to_string(dir.join(format!("{name}.md"))).unwrap();
            let mut sources: Vec<(String, String)> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| {
                    let file = e.unwrap().file_name().into_string().unwrap();
                    (file.starts_with(&format!("{name}.source")) && file.ends_with(".txt"))
                        .then_some(file)
                })
                .map(|file| {
                    let text = std::fs::read_to_string(dir.join(&file)).unwrap();
                    (file, text)
                })
                .collect();
            sources.sort();
            Fixture {
                name,
                article,
                sources,
            }
        })
        .collect()
}

fn checker_with(overlay: Option<&str>) -> (Checker, Template) {
    let config = Config::from_overlay(overlay, "test").unwrap();
    let template = Template::load(&config.story.template).unwrap();
    (Checker::load(&config.checks, &template).unwrap(), template)
}

fn run(
    checker: &Checker,
    template: &Template,
    article: &str,
    sources: &[(String, String)],
) -> Vec<Finding> {
    let texts: Vec<SourceText> = sources
        .iter()
        .enumerate()
        .map(|(i, (label, text))| SourceText {
            number: i as u32 + 1,
            label,
            text,
        })
        .collect();
    let file = markdown::parse(article, template);
    checker.run(&file.document(template, &texts))
}

fn harbour() -> Fixture {
    corpus()
        .into_iter()
        .find(|f| f.name == "harbour-sea-wall")
        .expect("fixture")
}

#[test]
fn the_corpus_is_five_articles_with_references_in_every_style() {
    let corpus = corpus();
    assert!(corpus.len() >= 5, "{} articles", corpus.len());
    let headings: BTreeSet<&str> = corpus
        .iter()
        .flat_map(|f| f.article.lines())
        .filter_map(|l| l.strip_prefix("## "))
        .collect();
    for heading in ["References", "Works Cited", "Bibliography"] {
        assert!(
            headings.contains(heading),
            "no article cites in the style headed {heading}"
        );
    }
    for f in &corpus {
        assert!(!f.sources.is_empty(), "{} has no sources", f.name);
    }
}

#[test]
fn clean_articles_have_no_findings() {
    let (checker, template) = checker_with(None);
    for f in corpus() {
        let findings = run(&checker, &template, &f.article, &f.sources);
        assert!(findings.is_empty(), "{}: {findings:#?}", f.name);
        // The checks did look: every section is there and the references were read.
        let file = markdown::parse(&f.article, &template);
        for name in ["title", "introduction", "body", "conclusion", "references"] {
            assert!(
                !file.section(name).unwrap().text.is_empty(),
                "{}: {name} is empty",
                f.name
            );
        }
        assert!(file.references.len() >= 2, "{}", f.name);
    }
}

/// Where a crafted example puts its text.
enum Edit {
    /// A line before everything.
    Before(&'static str),
    /// A new paragraph after the paragraph that contains the anchor.
    After(&'static str, &'static str),
    /// A new line at the end of the paragraph that contains the anchor.
    Append(&'static str, &'static str),
    /// Replace the first occurrence of a text.
    Replace(&'static str, &'static str),
    /// A line at the end of the references list.
    Reference(&'static str),
}

fn apply(article: &str, edit: &Edit) -> String {
    match edit {
        Edit::Before(text) => format!("{text}\n\n{article}"),
        Edit::After(anchor, text) => {
            let at = article.find(anchor).expect("anchor in the article");
            let end = article[at..].find("\n\n").map_or(article.len(), |e| at + e);
            format!("{}\n\n{text}{}", &article[..end], &article[end..])
        }
        Edit::Append(anchor, text) => {
            let at = article.find(anchor).expect("anchor in the article");
            let end = article[at..].find("\n\n").map_or(article.len(), |e| at + e);
            format!("{}\n{text}{}", &article[..end], &article[end..])
        }
        Edit::Replace(old, new) => {
            assert!(article.contains(old), "{old} not in the article");
            article.replacen(old, new, 1)
        }
        Edit::Reference(line) => format!("{}\n- {line}\n", article.trim_end()),
    }
}

/// The crafted examples: (the rule that must fire, the edit to the clean harbour article).
fn examples() -> Vec<(&'static str, Edit)> {
    use Edit::*;
    let body = "The engineering report presented";
    vec![
        ("chatbot-preamble", Before("Sure! Here is the article you asked for:")),
        ("chatbot-preamble", Before("Certainly, I have rewritten the story to be shorter.")),
        ("chatbot-preamble", After(body, "Here's a revised draft of the body section:")),
        ("chatbot-preamble", After(body, "As requested, the quotes are now shorter.")),
        ("chatbot-closing", Append("Construction is due", "Let me know if you would like a different angle.")),
        ("chatbot-closing", Append("Construction is due", "I hope this helps!")),
        ("chatbot-closing", After(body, "Would you like me to add a quote from the fund?")),
        ("chatbot-note", After(body, "Note: I assumed the board meets every month.")),
        ("chatbot-note", After(body, "Please replace the harbour master's name with the correct spelling.")),
        ("chatbot-note", After(body, "I could not verify the age of the wall.")),
        ("chatbot-self", After(body, "As an AI language model, I do not have opinions on sea walls.")),
        ("chatbot-self", After(body, "My training data does not cover this harbour.")),
        ("placeholder-bracket", After(body, "The vote was held on [Insert date].")),
        ("placeholder-bracket", After(body, "The fund's rules are published online [Link to source].")),
        ("placeholder-bracket", After(body, "Storms have grown stronger [citation needed].")),
        ("placeholder-bracket", After(body, "The start date is [TBD].")),
        ("placeholder-bracket", After(body, "[Add a quote from the fund here]")),
        ("placeholder-bracket", After(body, "The contract went to [COMPANY NAME].")),
        ("placeholder-bracket", After(body, "Read {{headline}} for more.")),
        ("placeholder-bracket", After(body, "Crews first posted about the wall online [Refer to the teamblind post if a specific URL or reference is available].")),
        ("placeholder-bracket", After(body, "Okafor [use her full title] spoke first.")),
        ("placeholder-bracket", After(body, "The wall was built in the last century [Exact year, if known].")),
        ("placeholder-bracket", After(body, "The fund replied [Quote the reply when the letter is available].")),
        ("placeholder-tk", After(body, "The wall is TK metres high today.")),
        ("placeholder-todo", After(body, "TODO: call the fund.")),
        ("placeholder-xx", After(body, "The fund would pay XX per cent.")),
        ("placeholder-lorem", After(body, "Lorem ipsum sea wall.")),
        ("chrome-counters", After(body, "11 likes · 3 shares")),
        ("chrome-counters", After(body, "Views: 18")),
        ("chrome-advertisement", After(body, "Advertisement")),
        ("chrome-advertisement", After(body, "Story continues below advertisement")),
        ("chrome-subscribe", After(body, "Subscribe now for unlimited access to local news.")),
        ("chrome-subscribe", After(body, "Subscribe")),
        ("chrome-cookies", After(body, "We use cookies to improve your experience.")),
        ("chrome-cookies", After(body, "Accept all cookies")),
        ("chrome-share", After(body, "Share on Facebook")),
        ("chrome-share", After(body, "Share · Tweet · Email")),
        ("reference-url", Reference("Okafor, R. (2024, December 2). The wall and the sea. *Harbour Notes*.")),
        ("reference-url-valid", Reference("Okafor, R. (2024, December 2). The wall and the sea. *Harbour Notes*. https://harbour-notes.example:99999/wall")),
        ("reference-date", Reference("Okafor, R. (n.d.). The wall and the sea. *Harbour Notes*. https://harbour-notes.example/wall")),
        ("reference-retrieved-from", Reference("Okafor, R. (2024, December 2). The wall and the sea. *Harbour Notes*. Retrieved from https://harbour-notes.example/wall")),
        ("reference-translation", Reference("李明. (2024, December 2). 海堤与大海. *港口日报*. https://gangkou.example/1")),
        ("reference-outlet-author", Reference("Machine Heart. (2024, December 2). Port Ellery's wall and the sea. *Machine Heart*. https://jiqizhixin.example/wall")),
        ("required-section", Replace("# Port Ellery votes to raise its sea wall by 1.2 metres\n", "")),
        ("section-too-short", Replace("# Port Ellery votes to raise its sea wall by 1.2 metres", "# Sea wall")),
        ("section-too-long", Replace("# Port Ellery votes to raise its sea wall by 1.2 metres", "# Port Ellery votes to raise its sea wall after engineers warn that storm surges now reach the top of the existing wall every winter")),
        ("heading-repeated", After("Port Ellery's harbour board voted", "## The vote\n\nThe board met in the harbour office.\n\n## The vote")),
        ("heading-second-headline", After(body, "# Fishing crews welcome the vote")),
        ("heading-references-in-text", After(body, "## References\n\nThe board's minutes, January 2025.")),
        ("verbatim", After(body, "The board agreed to raise the wall at an estimated cost of £8.4m, subject to confirmation of 60% funding from the National Coastal Fund.")),
        ("unsourced", After(body, "The wall is 140 years old.")),
        ("unsourced", After(body, "The fund has already spent €2 billion on other harbours.")),
        ("unsourced", After(body, "Okafor said the wall \"will not last another winter.\"")),
        ("unsourced", After(body, "The board first discussed the wall on 3 June 2019.")),
    ]
}

#[test]
fn each_rule_fires_on_its_example_and_no_other_rule_does() {
    let (checker, template) = checker_with(None);
    let clean = harbour();
    for (rule, edit) in examples() {
        let article = apply(&clean.article, &edit);
        let findings = run(&checker, &template, &article, &clean.sources);
        let fired: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            fired,
            BTreeSet::from([rule]),
            "example for {rule} ({:?}) gave {findings:#?}",
            match &edit {
                Edit::Before(t) | Edit::After(_, t) | Edit::Append(_, t) | Edit::Reference(t) => *t,
                Edit::Replace(_, t) => *t,
            }
        );
        for f in &findings {
            assert!(!f.message.is_empty());
            let without_match = f.message.replace(&f.excerpt, "");
            assert!(
                !without_match.contains('{'),
                "unfilled placeholder: {}",
                f.message
            );
        }
    }
}

#[test]
fn every_rule_in_force_has_an_example() {
    let (checker, _) = checker_with(None);
    let covered: BTreeSet<&str> = examples().iter().map(|(r, _)| *r).collect();
    let rules: BTreeSet<&str> = checker.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(covered, rules);
}

#[test]
fn findings_point_at_the_file_line_and_column() {
    let (checker, template) = checker_with(None);
    let clean = harbour();
    let article = apply(
        &clean.article,
        &Edit::After(
            "The engineering report presented",
            "The wall is TK metres high today.",
        ),
    );
    let findings = run(&checker, &template, &article, &clean.sources);
    let line_no = article
        .lines()
        .position(|l| l.contains("TK metres"))
        .unwrap()
        + 1;
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(
        (f.section.as_str(), f.line, f.column),
        ("body", line_no, 13)
    );
    assert_eq!(f.excerpt, "TK");
    assert_eq!(f.message, "“TK” marks material still to come: fill it in.");

    // In the headline, columns count from the start of the file's line, `# ` included.
    let article = apply(
        &clean.article,
        &Edit::Replace("raise its sea wall by", "raise its sea wall by TK and"),
    );
    let findings = run(&checker, &template, &article, &clean.sources);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    let column = article.lines().next().unwrap().find("TK").unwrap() + 1;
    assert_eq!((f.section.as_str(), f.line, f.column), ("title", 1, column));
}

#[test]
fn near_misses_stay_quiet() {
    // Text that looks like residue, placeholders or chrome but is ordinary news copy.
    let (checker, template) = checker_with(None);
    let clean = harbour();
    let lines = [
        "Editor's note: This article was updated to correct the harbour master's title.",
        "The boxer won by TKO in the third round, and the TK Maxx store on the quay stayed open.",
        "A fisherman told the board: \"Let me know if the wall fails, because I will be under it.\"",
        "As an AI company, Seawatch sells flood models to councils.",
        "\"They [the engineers] were clear,\" Okafor said, \"and we listened […] at last.\"",
        "Crews compared it to Super Bowl XX, when the whole town watched the same screen.",
        "A video of the waves had 11 views before the board met, 3 of them from the harbour office.",
        "The board did not share its cookie recipe.",
        "Some residents said they would subscribe to a flood warning service if the town offered one.",
        // Brackets that belong in print: an editor's insertion, a source's own [sic], a
        // description of a source, a user name.
        "One post [Online forum post] by [username] said the wall \"was bilt [sic] for a calmer sea.\"",
        "The fund's letter [What if the money runs out?] was read aloud.",
        "The council [Use of the harbour] committee did not meet.",
    ];
    for line in lines {
        let article = apply(
            &clean.article,
            &Edit::After("The engineering report presented", line),
        );
        let findings: Vec<Finding> = run(&checker, &template, &article, &clean.sources)
            .into_iter()
            // Quotations and figures made up for this test are not in the sources.
            .filter(|f| f.rule != "unsourced")
            .collect();
        assert!(findings.is_empty(), "{line}: {findings:#?}");
    }
}

#[test]
fn a_translated_title_in_brackets_is_no_placeholder() {
    let (checker, template) = checker_with(None);
    let clean = harbour();
    let article = apply(
        &clean.article,
        &Edit::Reference("Anonymous. (2025, January 23). Meta 恐慌了？ [Meta in panic? If DeepSeek is available to all, why pay?] [Online forum post]. *Blind*. https://www.teamblind.com/post/meta-in-panic"),
    );
    let findings = run(&checker, &template, &article, &clean.sources);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_newsroom_can_switch_off_and_change_levels() {
    let clean = harbour();
    let article = apply(
        &clean.article,
        &Edit::After(
            "The engineering report presented",
            "The fund would pay XX per cent.",
        ),
    );
    let (checker, template) = checker_with(Some("[checks]\ndisable = [\"placeholder-xx\"]\n"));
    assert!(run(&checker, &template, &article, &clean.sources).is_empty());
    let (checker, template) = checker_with(Some(
        "[checks]\nlevels = { placeholder-xx = \"suggestion\" }\n",
    ));
    let f = run(&checker, &template, &article, &clean.sources);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].level, storydesk::checks::Level::Suggestion);
}

#[test]
fn without_sources_the_source_rules_are_silent() {
    let (checker, template) = checker_with(None);
    let clean = harbour();
    assert!(run(&checker, &template, &clean.article, &[]).is_empty());
}

#[test]
fn newsroom_rules_of_every_generic_kind_with_scopes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("house.toml"),
        r#"
[[rule]]
id = "house-exclamations"
kind = "occurrence"
level = "warning"
message = "{count} exclamation marks in the {section}; at most {max}."
patterns = ['!']
max = 1
scope = "article"
exclude = ["references"]

[[rule]]
id = "house-short-headline"
kind = "length"
level = "suggestion"
message = "The headline has {length} {unit}; keep it to {max}."
unit = "words"
max = 8
scope = ["hed"]

[[rule]]
id = "house-sea-wall"
kind = "existence"
level = "suggestion"
message = "Write “seawall”, not “{match}”."
tokens = ["sea wall"]
ignorecase = true
scope = ["intro"]
"#,
    )
    .unwrap();
    let overlay = format!(
        "[checks]\ndirs = [{}]\n",
        toml::Value::String(dir.path().display().to_string())
    );
    let (checker, template) = checker_with(Some(&overlay));
    let clean = harbour();
    let article = apply(
        &clean.article,
        &Edit::Append(
            "The engineering report presented",
            "Crews cheered! Owners cheered! Everyone cheered!",
        ),
    );
    let findings = run(&checker, &template, &article, &clean.sources);
    let summary: Vec<(&str, &str, usize)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.section.as_str(), f.line))
        .collect();
    let exclaim_line = article
        .lines()
        .position(|l| l.starts_with("Crews cheered"))
        .unwrap()
        + 1;
    let intro_line = article
        .lines()
        .position(|l| l.starts_with("Port Ellery's harbour board"))
        .unwrap()
        + 1;
    assert_eq!(
        summary,
        vec![
            // The headline has eleven words: the length rule looks at the title (`hed`) only.
            ("house-short-headline", "title", 0),
            // "sea wall" is in the headline too, but the rule looks at the introduction.
            ("house-sea-wall", "introduction", intro_line),
            // The second exclamation mark is the first too many.
            ("house-exclamations", "body", exclaim_line),
        ]
    );
    assert_eq!(
        findings[0].message,
        "The headline has 11 words; keep it to 8."
    );
    assert_eq!(findings[1].message, "Write “seawall”, not “sea wall”.");
    assert_eq!(
        findings[2].message,
        "3 exclamation marks in the body; at most 1."
    );
}
