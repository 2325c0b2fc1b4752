//! Search quality by failure class: what a careful reader would find, ranked as a reader
//! would rank it.

mod common;

use std::path::Path;

use common::{corpus, read_jsonl_texts, Lcg};

use zhen::{Index, IndexBuilder, Paragraph, SearchResults, Searcher};

struct Fixture {
    _dir: tempfile::TempDir,
    searcher: Searcher,
}

fn index_of(build: impl FnOnce(&mut IndexBuilder)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    build(&mut builder);
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    Fixture {
        _dir: dir,
        searcher,
    }
}

fn shipped() -> Fixture {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/us-hrc-pledges-2021.zh.txt");
    index_of(|b| b.add_file(path).unwrap())
}

/// Paragraphs given as numbered lines of one document.
fn numbered(texts: &[&str]) -> Fixture {
    let doc: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {t}", i + 1))
        .collect();
    let doc = doc.join("\n\n");
    index_of(|b| b.add_text("t", &doc).unwrap())
}

fn search(f: &Fixture, q: &str) -> SearchResults {
    f.searcher.search(q, 50).unwrap()
}

fn ranked(f: &Fixture, q: &str) -> Vec<u32> {
    search(f, q)
        .hits
        .iter()
        .filter_map(|h| h.paragraph)
        .collect()
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort();
    v
}

// 1. Substring recall for Chinese.

#[test]
fn a_part_of_a_compound_is_found() {
    let f = shipped();
    // 劳工 stands alone in 29 (劳工及教育) and inside 国际劳工组织 (17, 25) and 劳工问题 (17).
    assert_eq!(sorted(ranked(&f, "劳工")), [17, 25, 29]);
    // 贩运 inside 人口贩运 and 贩运受害者.
    assert_eq!(sorted(ranked(&f, "贩运")), [17, 18, 29]);
    // 高专办 only ever appears inside 人权高专办.
    assert_eq!(sorted(ranked(&f, "高专办")), [8, 16]);
}

#[test]
fn a_single_character_is_found_and_ranked_where_it_is_a_word_first() {
    let f = shipped();
    assert_eq!(sorted(ranked(&f, "贩")), [17, 18, 29]);
    let g = numbered(&["他们保护人口和环境。", "每个人都享有权利。"]);
    // 人 is a word of its own in 2 (每个/人/都) and part of 人口 in 1.
    assert_eq!(ranked(&g, "人"), [2, 1]);
}

#[test]
fn digits_glued_to_han_and_unknown_words() {
    let f = shipped();
    assert_eq!(ranked(&f, "2019冠状病毒病"), [31]);
    // A string jieba has no word for, cut across word boundaries: 推动人 (推动/人权).
    let r = search(&f, "\"动人权\"");
    assert_eq!(r.total_hits, 2, "the two headings with 推动人权");
    for hit in r.hits {
        assert!(hit.text.contains("动人权"), "{:?}", hit.paragraph);
    }
}

// 2. Unspaced multi-word queries.

#[test]
fn unspaced_words_need_not_be_adjacent_and_adjacent_ranks_first() {
    let f = shipped();
    // Nowhere is 宗教自由 written as such; 19 has 宗教或信仰自由.
    assert_eq!(ranked(&f, "宗教自由"), [19]);
    assert_eq!(sorted(ranked(&f, "贩运人口")), [17, 18, 29]);
    assert_eq!(ranked(&f, "贩运人口")[0], 18, "18 has 贩运人口 verbatim");
    assert!(ranked(&f, "妇女暴力").contains(&13), "13: 暴力侵害妇女");

    let g = numbered(&[
        "促进宗教和信仰的自由。",
        "保障宗教自由是基本原则。",
        "仅涉及宗教问题。",
    ]);
    assert_eq!(ranked(&g, "宗教自由"), [2, 1]);
    assert_eq!(ranked(&g, "宗教 自由"), [2, 1]);
}

// 3. Precision.

#[test]
fn a_part_of_a_number_range_is_found_and_the_whole_still_counts() {
    // `2022` found nothing in `人权理事会2022-2024年任期`: the range was one token.
    let f = numbered(&[
        "人权理事会2022-2024年任期成员的选举。",
        "第 16/18 号决议和第 60/251 号决议。",
        "2022年的报告。",
        "增长3.5%，10:30开会，2 800万美元。",
        "1999-2000年度。",
    ]);
    assert_eq!(sorted(ranked(&f, "2022")), [1, 3]);
    assert_eq!(ranked(&f, "2024"), [1]);
    assert_eq!(ranked(&f, "2022-2024"), [1]);
    assert_eq!(ranked(&f, "251"), [2]);
    assert_eq!(ranked(&f, "16/18"), [2]);
    assert_eq!(ranked(&f, "２０２４"), [1]);
    // Decimals, times and thousands are numbers of one part.
    for q in ["3", "5", "10", "30", "800"] {
        assert!(ranked(&f, q).is_empty(), "{q}: {:?}", ranked(&f, q));
    }
    // A part is highlighted where it stands, in the hit and in its snippet.
    let hits = search(&f, "2024");
    let hit = &hits.hits[0];
    let marked: Vec<&str> = hit
        .highlights
        .iter()
        .map(|h| &hit.text[h.start..h.end])
        .collect();
    assert_eq!(marked, ["2024"], "{}", hit.text);
    assert!(
        hit.snippet.to_string().contains("2022-【2024】"),
        "{}",
        hit.snippet
    );
    // On the shipped document: the Council's 2022-2024 term, in its letter and its title.
    let shipped = shipped();
    let found = search(&shipped, "2024");
    assert_eq!(found.total_hits, 2);
    for hit in &found.hits {
        assert!(hit.text.contains("2022-2024"), "{}", hit.text);
        assert!(!hit.highlights.is_empty(), "{}", hit.text);
    }
}

#[test]
fn a_specific_compound_outranks_its_parts() {
    let f = shipped();
    let r = ranked(&f, "人权高专办");
    assert_eq!(
        sorted(r.clone()),
        [8, 16],
        "only paragraphs with the compound"
    );
    assert_eq!(r[0], 8, "8 names it three times");
    let g = numbered(&["人权问题和高专的报告。", "人权高专办发布报告。"]);
    assert_eq!(ranked(&g, "人权高专办")[0], 2);
}

// 4. Folding both ways.

#[test]
fn traditional_text_is_found_with_simplified_queries_and_back() {
    let g = numbered(&[
        "美國承諾打擊人口販運。",
        "美国承诺打击人口贩运。",
        "無關的段落。",
    ]);
    assert_eq!(sorted(ranked(&g, "人口贩运")), [1, 2]);
    assert_eq!(sorted(ranked(&g, "人口販運")), [1, 2]);
    assert_eq!(sorted(ranked(&g, "\"打擊人口\"")), [1, 2]);
    // The highlight covers the original traditional characters.
    let r = search(&g, "人口贩运");
    let hit = r.hits.iter().find(|h| h.paragraph == Some(1)).unwrap();
    let h = hit.highlights[0];
    assert_eq!(&hit.text[h.start..h.end], "人口販運");
}

#[test]
fn full_width_text_is_found_with_half_width_queries_and_back() {
    let g = numbered(&["第１５５７节和ＵＮＩＣＥＦ。", "第1557节和UNICEF。"]);
    assert_eq!(sorted(ranked(&g, "1557")), [1, 2]);
    assert_eq!(sorted(ranked(&g, "１５５７")), [1, 2]);
    assert_eq!(sorted(ranked(&g, "unicef")), [1, 2]);
}

// 5. English in mixed text.

#[test]
fn english_is_case_insensitive_stemmed_and_stop_words_are_optional() {
    let g = numbered(&[
        "The United States makes commitments on human trafficking.",
        "A commitment to end trafficking in persons.",
        "Rights of women and girls; the Commission on the Status of Women.",
    ]);
    assert_eq!(sorted(ranked(&g, "Commitment")), [1, 2]);
    assert_eq!(sorted(ranked(&g, "TRAFFICKED")), [1, 2]);
    assert_eq!(ranked(&g, "\"human trafficking\""), [1]);
    // `the` and `of` are not required: 2 has neither `the` nor `of`... and still matches.
    assert_eq!(sorted(ranked(&g, "the commitment of trafficking")), [1, 2]);
    assert_eq!(ranked(&g, "status women")[0], 3);
}

/// What each query marks in the text of the hit with paragraph number `n`.
fn marked(f: &Fixture, q: &str, n: u32) -> Vec<String> {
    let results = search(f, q);
    let hit = results
        .hits
        .iter()
        .find(|h| h.paragraph == Some(n))
        .unwrap_or_else(|| panic!("{q}: no hit {n}"));
    hit.highlights
        .iter()
        .map(|h| hit.text[h.start..h.end].to_owned())
        .collect()
}

#[test]
fn english_spellings_with_and_without_accents_elisions_and_plurals_meet() {
    // As the UN General Debates write them.
    let g = numbered(&[
        "We welcome the elections in Côte d’Ivoire and São Tomé and Príncipe.",
        "Cote d'Ivoire and Sao Tome and Principe have shown the way.",
        "The naïve café owner on the Straße in İstanbul met Mr. O’Neill.",
        "Achieving the SDGs requires support to the LDCs and NGOs.",
        "Each SDG matters to every LDC.",
        "The 2025–2027 strategic plan and the Decade 2021—2030.",
        "The 2025-2027 budget was adopted.",
        "Africa’s youth isn’t waiting.",
    ]);
    for q in [
        "Cote d'Ivoire",
        "Côte d’Ivoire",
        "\"cote d'ivoire\"",
        "Ivoire",
    ] {
        assert_eq!(sorted(ranked(&g, q)), [1, 2], "{q}");
    }
    for q in ["Sao Tome", "\"São Tomé\"", "principe"] {
        assert_eq!(sorted(ranked(&g, q)), [1, 2], "{q}");
    }
    for q in ["naive cafe", "strasse", "istanbul", "Neill", "O'Neill"] {
        assert_eq!(ranked(&g, q), [3], "{q}");
    }
    for q in ["SDG", "SDGs", "LDC", "LDCs"] {
        assert_eq!(sorted(ranked(&g, q)), [4, 5], "{q}");
    }
    // Typed in lower case, a plural is the word as written.
    assert_eq!(ranked(&g, "sdgs"), [4]);
    assert_eq!(ranked(&g, "NGO"), [4]);
    for q in ["2025-2027", "2025–2027", "\"2025–2027\""] {
        assert_eq!(sorted(ranked(&g, q)), [6, 7], "{q}");
    }
    assert_eq!(ranked(&g, "2021-2030"), [6]);
    // Possessives and contractions are as before.
    assert_eq!(ranked(&g, "Africa"), [8]);
    assert_eq!(ranked(&g, "isn't"), [8]);
    // Highlights cover the text as written.
    assert_eq!(marked(&g, "cote ivoire", 1), ["Côte", "Ivoire"]);
    assert_eq!(marked(&g, "\"Côte d'Ivoire\"", 1), ["Côte d’Ivoire"]);
    assert_eq!(marked(&g, "strasse istanbul", 3), ["Straße", "İstanbul"]);
    assert_eq!(marked(&g, "Neill", 3), ["Neill"]);
    assert_eq!(marked(&g, "SDG", 4), ["SDGs"]);
    assert_eq!(marked(&g, "2025-2027", 6), ["2025–2027"]);
    assert_eq!(marked(&g, "2030", 6), ["2030"]);
}

// 6. Snippets.

#[test]
fn snippets_are_bounded_in_characters_and_highlights_are_merged() {
    let f = shipped();
    for q in ["人权", "美国", "人口贩运", "國際勞工組織", "劳工"] {
        for hit in search(&f, q).hits {
            assert!(
                hit.snippet.text.chars().count() <= 120 + 2,
                "{q} ¶{:?}",
                hit.paragraph
            );
            for h in hit.highlights.iter().chain(&hit.snippet.highlights) {
                assert!(h.start < h.end);
            }
            for w in hit.highlights.windows(2) {
                assert!(w[0].end < w[1].start, "touching highlights are merged: {q}");
            }
            for h in &hit.snippet.highlights {
                assert!(
                    hit.snippet.text.is_char_boundary(h.start)
                        && hit.snippet.text.is_char_boundary(h.end)
                );
            }
        }
    }
    let r = search(&f, "人口贩运");
    assert!(r
        .hits
        .iter()
        .all(|h| h.snippet.to_string().contains("【人口贩运】")));
}

// 7. Explain.

#[test]
fn explain_shows_tokens_per_field_and_the_tree() {
    let f = shipped();
    let e = f.searcher.explain("宗教自由 -国会").unwrap();
    assert_eq!(e.clauses.len(), 2);
    assert_eq!(e.clauses[0].words, ["宗教自由"]);
    // Bigrams that do not overlap are enough for an exact substring.
    assert_eq!(e.clauses[0].grams, ["宗教", "自由"]);
    assert_eq!(e.clauses[1].role, "excluded");
    let tree = e.tree.render();
    assert!(tree.contains("term body:宗教"), "{tree}");
    assert!(tree.contains("must not: term body_grams:国会"), "{tree}");
}

#[test]
fn an_unquoted_clause_of_several_words_ranks_its_contiguous_matches_first() {
    let f = shipped();
    let id = |h: &zhen::Hit| (h.paragraph, h.line);
    // `促进人权` shows why: scored as one query, two scattered matches outranked the
    // contiguous one.
    for q in [
        "联合国人权",
        "打击人口贩运",
        "保护人权",
        "美国支持",
        "促进人权",
    ] {
        let e = f.searcher.explain(q).unwrap();
        assert!(
            e.clauses[0].words.len() > 1,
            "{q}: {:?}",
            e.clauses[0].words
        );
        let tree = e.tree.render();
        assert!(
            tree.starts_with("tiers") && tree.contains("tier 2: bool"),
            "{q}: {tree}"
        );

        let r = f.searcher.search(q, 100).unwrap();
        let contiguous: Vec<bool> = r.hits.iter().map(|h| h.text.contains(q)).collect();
        assert!(
            contiguous.contains(&true) && contiguous.contains(&false),
            "{q}: {contiguous:?}"
        );
        assert!(
            contiguous.windows(2).all(|w| w[0] >= w[1]),
            "{q}: a scattered match outranks a contiguous one: {contiguous:?}"
        );
        assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score), "{q}");

        // The same paragraphs, and count, as the single query that scores every match
        // (an alternative defeats the tiers).
        let single = f.searcher.search(&format!("{q} OR {q}"), 100).unwrap();
        assert_eq!(r.total_hits, single.total_hits, "{q}");
        let mut got: Vec<_> = r.hits.iter().map(id).collect();
        let mut all: Vec<_> = single.hits.iter().map(id).collect();
        got.sort();
        all.sort();
        assert_eq!(got, all, "{q}");

        // A page no larger than the contiguous matches holds only contiguous ones, and
        // still counts them all.
        let n = contiguous.iter().filter(|c| **c).count();
        let page = f.searcher.search(q, n).unwrap();
        assert!(page.hits.iter().all(|h| h.text.contains(q)), "{q}");
        assert_eq!(page.total_hits, r.total_hits, "{q}");
    }
}

#[test]
fn exclusions_keep_one_word_tiers_only_for_excluded_terms() {
    let f = shipped();
    let tree = |q: &str| f.searcher.explain(q).unwrap().tree.render();
    for q in ["人权 -国际", "权 -人权", "人权 -国际 -美国"] {
        let t = tree(q);
        assert!(t.starts_with("tiers"), "{q}: {t}");
        assert!(
            t.contains("must not: term body_grams:国际") || q == "权 -人权",
            "{q}: {t}"
        );
    }
    // An excluded phrase, or a compound's three tiers, run as one query.
    for q in ["人权 -国际人权", "宗教自由 -国会"] {
        let t = tree(q);
        assert!(t.starts_with("bool"), "{q}: {t}");
    }
}

#[test]
fn a_phrase_of_bigrams_that_do_not_overlap_still_needs_one_unbroken_run() {
    let f = numbered(&[
        "最高人民法院的判决。",
        "人民，法院。",
        "人民 法院。",
        "人民群众与法院。",
        "人民2法院。",
        "依法追究刑事责任。",
        "依法追究其刑事责任。",
    ]);
    // White space between Han characters separates nothing (in the text or the query);
    // punctuation, digits and other words do.
    assert_eq!(sorted(ranked(&f, "\"人民法院\"")), [1, 3]);
    assert_eq!(sorted(ranked(&f, "\"人民 法院\"")), [1, 3]);
    assert_eq!(sorted(ranked(&f, "\"人民2法院\"")), [5]);
    assert_eq!(sorted(ranked(&f, "\"依法追究刑事责任\"")), [6]);
    // Unquoted, the parts of the compound may stand apart; the unbroken run ranks first.
    assert_eq!(ranked(&f, "人民法院")[0], 1);
}

#[test]
fn one_word_queries_rank_word_matches_first_and_count_every_match() {
    let f = shipped();
    let mut words = zhen::analysis::analyzer();
    // `w OR w` defeats the one-word tiers: one query scores every match.
    for q in [
        "人权",
        "贩运",
        "国",
        "权",
        "general",
        "2021",
        "劳工",
        "高专办",
        "人权高专办",
    ] {
        let tiered = search(&f, q);
        let full = search(&f, &format!("{q} OR {q}"));
        assert!(tiered.total_hits > 0, "{q}");
        assert!(tiered.hits.len() < 50, "{q}: all hits fit the page");
        assert_eq!(tiered.total_hits, full.total_hits, "{q}");
        let set = |r: &SearchResults| sorted(r.hits.iter().filter_map(|h| h.paragraph).collect());
        assert_eq!(set(&tiered), set(&full), "{q}");
        let scores: Vec<f32> = tiered.hits.iter().map(|h| h.score).collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{q}: scores fall with rank: {scores:?}"
        );
        // Where the query is a word (or a compound's part) of the paragraph, it ranks above
        // every paragraph where it is only part of a longer word.
        let folded = zhen::analysis::Folded::new(q).text().to_lowercase();
        let is_word: Vec<bool> = tiered
            .hits
            .iter()
            .map(|h| {
                zhen::analysis::analyze(&mut words, &h.text)
                    .iter()
                    .any(|t| t.text == folded)
            })
            .collect();
        assert!(
            is_word.windows(2).all(|w| w[0] || !w[1]),
            "{q}: word matches first: {is_word:?}"
        );
        if ["国", "权"].contains(&q) {
            // Words of their own in a few paragraphs, inside longer words in the rest.
            assert!(
                is_word.contains(&true) && is_word.contains(&false),
                "{q} has both kinds of match: {is_word:?}"
            );
        }
    }
    // With an exclusion (here also a phrase of bigrams: 理事会), the same matches as the
    // general form.
    for (q, full) in [
        ("国 -美国", "国 OR 国 -美国"),
        ("人权 -理事会", "人权 OR 人权 -理事会"),
    ] {
        let tiered = search(&f, q);
        let full = search(&f, full);
        assert!(tiered.total_hits > 0, "{q}");
        assert_eq!(tiered.total_hits, full.total_hits, "{q}");
        let set = |r: &SearchResults| sorted(r.hits.iter().filter_map(|h| h.paragraph).collect());
        assert_eq!(set(&tiered), set(&full), "{q}");
        assert!(search(&f, &q[..q.find(' ').unwrap()]).total_hits > tiered.total_hits);
    }
}

/// `"sample"`, quoted, matches exactly the paragraphs of `texts` that contain it.
fn assert_quoted_finds_exactly(f: &Fixture, texts: &[String], sample: &str) {
    let expected = texts.iter().filter(|t| t.contains(sample)).count();
    let got = f
        .searcher
        .search(&format!("\"{sample}\""), 1)
        .unwrap()
        .total_hits;
    assert_eq!(got, expected, "quoted {sample:?}");
}

// Quoted phrases against a plain substring scan on a real corpus.

#[test]
fn quoted_phrases_match_exactly_the_paragraphs_containing_the_characters() {
    let texts = read_jsonl_texts(&corpus("prc-gov-work-reports.zh.jsonl.gz"), usize::MAX);
    assert!(texts.len() > 8000);
    let f = index_of(|b| {
        let paragraphs: Vec<Paragraph> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Paragraph::new("gwr", i as u32, t.as_str()))
            .collect();
        b.add_paragraphs("gwr", &paragraphs).unwrap();
    });
    let folded: Vec<String> = texts
        .iter()
        .map(|t| zhen::analysis::Folded::new(t).text().to_owned())
        .collect();

    let mut rng = Lcg(20211027);
    let mut checked = 0;
    while checked < 300 {
        // A random run of 1-6 Han characters from a random paragraph.
        let text = &folded[rng.next(folded.len())];
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            continue;
        }
        let start = rng.next(chars.len());
        let len = 1 + rng.next(6);
        let sample: String = chars[start..]
            .iter()
            .take(len)
            .take_while(|c| zhen::analysis::is_han(**c))
            .collect();
        if sample.is_empty() {
            continue;
        }
        assert_quoted_finds_exactly(&f, &folded, &sample);
        checked += 1;
    }

    // Han characters around a number (`第3条`, `年12月`): the characters next to the
    // number are where their runs start or end, which the gram field indexes alone.
    // White space between a number and a character separates no words (typeset Chinese
    // often has `2020 年`), so the scan ignores it.
    let unspaced: Vec<String> = folded
        .iter()
        .map(|t| {
            let chars: Vec<char> = t.chars().collect();
            let mut out = String::with_capacity(t.len());
            let mut i = 0;
            while i < chars.len() {
                let j = (i..chars.len())
                    .find(|&j| !chars[j].is_whitespace())
                    .unwrap_or(chars.len());
                let between_number_and_han = i > 0 && j < chars.len() && j > i && {
                    let (p, n) = (chars[i - 1], chars[j]);
                    let han = zhen::analysis::is_han;
                    (p.is_ascii_digit() && han(n)) || (han(p) && n.is_ascii_digit())
                };
                if j > i && !between_number_and_han {
                    out.extend(&chars[i..j]);
                }
                if j < chars.len() {
                    out.push(chars[j]);
                }
                i = j + 1;
            }
            out
        })
        .collect();
    let is_digit = |c: char| c.is_ascii_digit();
    let mut mixed = 0;
    let mut tries = 0;
    while mixed < 100 && tries < 100_000 {
        tries += 1;
        let chars: Vec<char> = folded[rng.next(folded.len())].chars().collect();
        let digit_runs: Vec<(usize, usize)> = (0..chars.len())
            .filter(|&i| is_digit(chars[i]) && (i == 0 || !is_digit(chars[i - 1])))
            .map(|i| {
                (
                    i,
                    (i..chars.len())
                        .find(|&j| !is_digit(chars[j]))
                        .unwrap_or(chars.len()),
                )
            })
            .filter(|&(a, b)| {
                a > 0
                    && b < chars.len()
                    && zhen::analysis::is_han(chars[a - 1])
                    && zhen::analysis::is_han(chars[b])
            })
            .collect();
        if digit_runs.is_empty() {
            continue;
        }
        let (a, b) = digit_runs[rng.next(digit_runs.len())];
        let before = (1..=1 + rng.next(2))
            .take_while(|k| a >= *k && zhen::analysis::is_han(chars[a - k]))
            .count();
        let after = (0..1 + rng.next(2))
            .take_while(|k| b + k < chars.len() && zhen::analysis::is_han(chars[b + k]))
            .count();
        let sample: String = chars[a - before..b + after].iter().collect();
        assert_quoted_finds_exactly(&f, &unspaced, &sample);
        mixed += 1;
    }
    assert_eq!(mixed, 100, "the corpus has numbers between Han characters");
}
