//! The extractive drafter never invents: on varied and awkward sources, every sentence it
//! proposes is a sentence of a source, every title candidate a phrase of one, and the same
//! sources always give the same proposals.

use storydesk::assist::extractive::{collapse, draft, sentences};
use storydesk::assist::{Brief, Failure, SourceText};
use storydesk::config::Template;

/// Sources with what trips sentence splitters: abbreviations, initials, decimals, web
/// addresses, quotes, ellipses, brackets, lists, header lines, wrapped lines, repeats, CJK.
const AWKWARD: &[&str] = &[
    "From: J. R. Smith <jrs@example.com>\nTo: Dr. Alvarez\nSubject: Q3 numbers (draft)\n\nDr. Alvarez said the U.S. unit lost 4.5 million dollars in Q3... The board was not told. \"We knew in July,\" one manager wrote. \"Nobody asked.\"\n\nThe figures are at https://example.com/q3.v2/report.pdf (page 3). Mr. Smith, who joined in 2019, disputes them!\nIs the loss real? The auditors (Deloitte, per the memo) will decide by Oct. 15.\n\n- cut travel budget\n- freeze hiring\n\nSent from my phone\n\nSent from my phone",
    "The mayor's office released a statement on Monday. It said the harbour would stay open through\nthe winter, contrary to earlier reports. Officials declined to say how much the repairs\nwould cost.\n\nA spokesperson, Ms. Okafor, added: \"The budget is being reviewed.\" The review is expected to finish next month.",
    "深度求索发布了新的模型。据报道，训练成本约为五百五十万美元。Meta 的工程师正在研究这个模型。",
];

/// Plain news-like prose, deterministic, about `bytes` long.
fn prose(bytes: usize) -> String {
    const WORDS: &[&str] = &[
        "council",
        "harbour",
        "budget",
        "vote",
        "minutes",
        "finance",
        "committee",
        "mayor",
        "port",
        "ships",
        "repairs",
        "schools",
        "million",
        "euros",
        "night",
        "debate",
        "amendment",
        "opponents",
        "supporters",
        "regional",
        "authority",
        "approve",
        "jobs",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = String::new();
    while out.len() < bytes {
        let words = 6 + (x % 18) as usize;
        for w in 0..words {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let word = WORDS[(x >> 33) as usize % WORDS.len()];
            if w == 0 {
                out.push_str(&word[..1].to_uppercase());
                out.push_str(&word[1..]);
            } else {
                out.push(' ');
                out.push_str(word);
            }
        }
        out.push_str(if x % 5 == 0 { ".\n\n" } else { ". " });
    }
    out
}

fn brief(section: &str, sources: &[String], guidance: Option<&str>) -> Brief {
    Brief {
        title: None,
        section: section.into(),
        outline: storydesk::desk::outline(&Template::load("news").unwrap()),
        guidance: guidance.map(str::to_string),
        others: Vec::new(),
        redrafting: Vec::new(),
        sources: sources
            .iter()
            .enumerate()
            .map(|(i, t)| SourceText {
                number: i as u32 + 1,
                label: format!("source {}", i + 1),
                text: t.clone(),
                omitted_bytes: 0,
            })
            .collect(),
        omitted_sources: 0,
    }
}

/// Checks that a proposal only repeats the sources.
fn assert_only_from_sources(
    section: &str,
    text: &str,
    alternatives: &[String],
    sources: &[String],
) {
    let sources: Vec<String> = sources.iter().map(|s| collapse(s)).collect();
    let found = |piece: &str| sources.iter().any(|s| s.contains(piece));
    if section == "title" {
        for candidate in std::iter::once(text).chain(alternatives.iter().map(String::as_str)) {
            assert!(
                found(candidate),
                "title candidate {candidate:?} is not a phrase of a source"
            );
            assert!(!candidate.contains('\n'));
        }
        return;
    }
    for paragraph in text.split("\n\n") {
        assert!(!paragraph.trim().is_empty());
        for s in sentences(paragraph) {
            assert!(
                found(&s.text),
                "{section}: {:?} is not a sentence of a source",
                s.text
            );
        }
    }
}

#[test]
fn every_proposed_sentence_is_a_source_sentence() {
    let mut sets: Vec<Vec<String>> = vec![
        AWKWARD.iter().map(|s| s.to_string()).collect(),
        vec![prose(60_000)],
        vec![
            AWKWARD[1].to_string(),
            prose(20_000),
            AWKWARD[0].to_string(),
        ],
    ];
    sets.push(vec![AWKWARD[0].to_string()]);
    let mut proposals = 0;
    for sources in &sets {
        for section in ["title", "introduction", "body", "conclusion"] {
            for guidance in [None, Some("the harbour repairs and the auditors")] {
                match draft(&brief(section, sources, guidance)) {
                    Ok(d) => {
                        assert_only_from_sources(section, &d.text, &d.alternatives, sources);
                        assert!(!d.from_sources.is_empty());
                        proposals += 1;
                    }
                    // Saying there is nothing to propose is allowed; inventing is not.
                    Err(Failure::NoSentences | Failure::NothingFits { .. }) => {}
                    Err(other) => panic!("{section}: {other:?}"),
                }
            }
        }
    }
    assert!(proposals >= 24, "only {proposals} proposals were made");
}

#[test]
fn the_same_sources_give_the_same_proposals() {
    let sources: Vec<String> = vec![
        AWKWARD[0].to_string(),
        prose(30_000),
        AWKWARD[1].to_string(),
    ];
    for section in ["title", "introduction", "body", "conclusion"] {
        let first = draft(&brief(section, &sources, Some("budget"))).unwrap();
        for _ in 0..3 {
            assert_eq!(
                draft(&brief(section, &sources, Some("budget"))).unwrap(),
                first,
                "{section}"
            );
        }
    }
}

#[test]
fn an_awkward_source_is_cut_where_its_sentences_end() {
    let cut: Vec<String> = sentences(AWKWARD[0])
        .into_iter()
        .filter(|s| s.candidate)
        .map(|s| s.text)
        .collect();
    assert!(
        cut.contains(
            &"Dr. Alvarez said the U.S. unit lost 4.5 million dollars in Q3...".to_string()
        ),
        "{cut:#?}"
    );
    assert!(
        cut.contains(&"\"We knew in July,\" one manager wrote.".to_string()),
        "{cut:#?}"
    );
    assert!(
        cut.contains(
            &"The figures are at https://example.com/q3.v2/report.pdf (page 3).".to_string()
        ),
        "{cut:#?}"
    );
    assert!(
        cut.contains(&"The auditors (Deloitte, per the memo) will decide by Oct. 15.".to_string()),
        "{cut:#?}"
    );
    // Headers, list items and a signature are not sentences to propose.
    assert!(
        cut.iter().all(|s| !s.starts_with("From:")
            && !s.starts_with("- ")
            && !s.starts_with("Sent from")),
        "{cut:#?}"
    );
    let wrapped: Vec<String> = sentences(AWKWARD[1]).into_iter().map(|s| s.text).collect();
    assert!(
        wrapped.contains(
            &"It said the harbour would stay open through the winter, contrary to earlier reports."
                .to_string()
        ),
        "{wrapped:#?}"
    );
}

/// About 1 MiB of sources whose most central sentences are all too long for a title: many
/// long sentences on one subject, and fewer short ones on scattered subjects that fit.
fn long_central_sentences() -> String {
    const COMMON: &[&str] = &[
        "council",
        "harbour",
        "budget",
        "vote",
        "minutes",
        "finance",
        "committee",
        "mayor",
        "port",
        "ships",
        "repairs",
        "schools",
    ];
    const RARE: &[&str] = &[
        "lighthouse",
        "ferry",
        "orchard",
        "library",
        "bridge",
        "museum",
        "stadium",
        "tram",
        "clinic",
        "market",
        "garden",
        "theatre",
        "bakery",
        "airport",
        "canal",
        "castle",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize % n
    };
    let mut out = String::new();
    let mut i = 0;
    while out.len() < 1 << 20 {
        let (words, pool): (usize, &[&str]) = if i % 3 == 2 { (6, RARE) } else { (26, COMMON) };
        // The short sentences' words are each their own (`ferry17`), so they resemble no
        // other sentence and rank low.
        let mut sentence: Vec<String> = (0..words)
            .map(|w| {
                let word = pool[next(pool.len())];
                if words == 6 {
                    format!("{word}{i}x{w}")
                } else {
                    word.to_string()
                }
            })
            .collect();
        sentence[0] = format!("{}{}", sentence[0][..1].to_uppercase(), &sentence[0][1..]);
        out.push_str(&sentence.join(" "));
        out.push_str(". ");
        i += 1;
    }
    out
}

#[test]
fn a_title_is_found_in_a_large_source_whose_central_sentences_are_long() {
    let sources = vec![long_central_sentences()];
    let all = sentences(&sources[0]);
    let fitting = all
        .iter()
        .filter(|s| s.candidate && s.text.chars().count() <= 120)
        .count();
    assert!(fitting > 1000, "{fitting} of {}", all.len());
    let d = draft(&brief("title", &sources, None)).expect("a title that fits");
    assert!(d.text.chars().count() <= 120, "{}", d.text);
    assert_only_from_sources("title", &d.text, &d.alternatives, &sources);
}

#[test]
fn guidance_ranks_title_candidates_by_the_words_they_share_with_it() {
    let sources = vec!["Meta has set up four war rooms of engineers to study the DeepSeek model and its training cost. Two of the war rooms study how the training cost of the DeepSeek model came down. The war rooms report to the leaders of the generative AI group about the cost. One war room studies the data DeepSeek used. The engineers in the war rooms were told the cost of the group is under review.".to_string()];
    let plain = draft(&brief("title", &sources, None)).unwrap();
    let guided = draft(&brief("title", &sources, Some("what data was used"))).unwrap();
    assert!(!plain.text.contains("data"), "{plain:?}");
    assert_eq!(
        guided.text, "One war room studies the data DeepSeek used",
        "{guided:?}"
    );
}

#[test]
fn a_chinese_source_gives_title_candidates() {
    let sources = vec!["深度求索发布了新的大语言模型，训练成本约为五百五十万美元。Meta 的工程师正在研究这个模型的训练方法。据报道，Meta 已经成立了四个专门小组研究深度求索的模型。".to_string()];
    let d = draft(&brief("title", &sources, None)).expect("a title from a Chinese source");
    assert!(d.text.chars().count() <= 120, "{}", d.text);
    assert_only_from_sources("title", &d.text, &d.alternatives, &sources);
}
