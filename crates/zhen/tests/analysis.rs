//! The analyzer, stage by stage, on lines of the UN document.

use proptest::prelude::*;
use zhen::analysis::{analyze, analyzer, AnalyzedToken};

fn tokens(text: &str) -> Vec<AnalyzedToken> {
    analyze(&mut analyzer(), text)
}

/// (term, source text) pairs.
fn pairs(text: &str) -> Vec<(String, String)> {
    tokens(text)
        .into_iter()
        .map(|t| (t.text, text[t.start..t.end].to_owned()))
        .collect()
}

fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.text).collect()
}

#[track_caller]
fn assert_pairs(text: &str, expected: &[(&str, &str)]) {
    let got = pairs(text);
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, expected, "analysing {text:?}");
}

#[test]
fn chinese_is_segmented_by_jieba() {
    assert_pairs(
        "打击一切形式的人口贩运",
        &[
            ("打击", "打击"),
            ("一切", "一切"),
            ("形式", "形式"),
            ("的", "的"),
            ("人口", "人口"),
            ("贩运", "贩运"),
        ],
    );
}

#[test]
fn mixed_chinese_english_and_numbers() {
    assert_pairs(
        "承诺继续在线上 and 线下倡导表达自由",
        &[
            ("承诺", "承诺"),
            ("继续", "继续"),
            ("在线", "在线"),
            ("上", "上"),
            ("and", "and"),
            ("线下", "线下"),
            ("倡导", "倡导"),
            ("表达", "表达"),
            ("自由", "自由"),
        ],
    );
    assert_pairs(
        "Distr.: General 27 September 2021",
        &[
            ("distr", "Distr"),
            ("general", "General"),
            ("27", "27"),
            ("septemb", "September"),
            ("2021", "2021"),
        ],
    );
}

#[test]
fn numbers_are_whole() {
    assert_eq!(
        terms("安全理事会第1325(2000)号决议"),
        ["安全", "理事会", "理事", "第", "1325", "2000", "号", "决议"]
    );
    assert!(terms("人权理事会第 16/18 号决议").contains(&"16/18".to_owned()));
    assert!(terms("大会第60/251号决议").contains(&"60/251".to_owned()));
    assert!(terms("人权理事会 2022-2024 年任期成员").contains(&"2022-2024".to_owned()));
}

#[test]
fn a_space_as_thousands_separator_is_removed() {
    assert_pairs(
        "近2 800万美元",
        &[
            ("近", "近"),
            ("2800", "2 800"),
            ("万美元", "万美元"),
            ("美元", "美元"),
        ],
    );
    assert!(terms("(1 000万美元)").contains(&"1000".to_owned()));
}

#[test]
fn full_width_is_folded_with_offsets_into_the_original() {
    assert_pairs(
        "第 １５５７ 节",
        &[("第", "第"), ("1557", "１５５７"), ("节", "节")],
    );
    assert_pairs("ＵＮＩＣＥＦ", &[("unicef", "ＵＮＩＣＥＦ")]);
}

#[test]
fn traditional_is_folded_to_simplified() {
    assert_eq!(terms("國際勞工組織"), terms("国际劳工组织"));
    let t = tokens("國際勞工組織");
    assert_eq!(t.first().map(|t| t.start), Some(0));
    assert_eq!(t.last().map(|t| t.end), Some("國際勞工組織".len()));
    assert_eq!(terms("人口販運"), ["人口", "贩运"]);
}

#[test]
fn english_is_lower_cased_and_stemmed() {
    assert_eq!(terms("Human Trafficking"), ["human", "traffick"]);
    assert_eq!(terms("trafficked"), ["traffick"]);
    assert_eq!(terms("commitments commitment"), ["commit", "commit"]);
    assert_eq!(terms("women's"), ["women"]);
}

#[test]
fn latin_accents_are_folded_with_offsets_into_the_original() {
    assert_pairs(
        "Côte d’Ivoire, São Tomé, Hammarskjöld",
        &[
            ("cote", "Côte"),
            ("d'ivoir", "d’Ivoire"),
            ("ivoir", "Ivoire"),
            ("sao", "São"),
            ("tome", "Tomé"),
            ("hammarskjold", "Hammarskjöld"),
        ],
    );
    assert_eq!(terms("naïve café résumé"), terms("naive cafe resume"));
    assert_eq!(
        terms("Straße İstanbul Türkiye"),
        ["strass", "istanbul", "turkiy"]
    );
    assert_eq!(
        terms("Straße İstanbul Türkiye"),
        terms("strasse istanbul turkiye")
    );
    // Other scripts keep their accents.
    assert_eq!(terms("Ελλάδα йод"), ["ελλάδα", "йод"]);
}

#[test]
fn the_word_after_a_one_letter_elision_is_indexed_at_its_position() {
    let t = tokens("the people of Côte d’Ivoire and Mr. O’Neill");
    let got: Vec<(&str, usize)> = t.iter().map(|t| (t.text.as_str(), t.position)).collect();
    assert_eq!(
        got,
        [
            ("the", 0),
            ("peopl", 1),
            ("of", 2),
            ("cote", 3),
            ("d'ivoir", 4),
            ("ivoir", 4),
            ("and", 5),
            ("mr", 6),
            ("o'neil", 7),
            ("neill", 7),
        ]
    );
    // English possessives and contractions keep their one term.
    assert_eq!(
        terms("Africa’s future isn't what I’m told"),
        ["africa", "futur", "isn't", "what", "i'm", "told"]
    );
}

#[test]
fn a_plural_acronym_gives_the_acronyms_term() {
    assert_pairs(
        "the SDGs and LDCs",
        &[
            ("the", "the"),
            ("sdg", "SDGs"),
            ("sdgs", "SDGs"),
            ("and", "and"),
            ("ldc", "LDCs"),
            ("ldcs", "LDCs"),
        ],
    );
    assert_eq!(terms("SDG"), ["sdg"]);
    // In capitals throughout, or in lower case, the word is as written.
    assert_eq!(terms("SDGS sdgs"), ["sdgs", "sdgs"]);
}

#[test]
fn dashes_between_digits_make_ranges() {
    for range in [
        "2025–2027",
        "2025-2027",
        "2025—2027",
        "2025‑2027",
        "2025−2027",
    ] {
        assert_pairs(
            range,
            &[("2025-2027", range), ("2025", "2025"), ("2027", "2027")],
        );
    }
    // Around words, a dash separates as before.
    assert_eq!(
        terms("peace – and 2021 — 2030"),
        ["peac", "and", "2021", "2030"]
    );
}

#[test]
fn no_whitespace_or_punctuation_tokens() {
    assert!(tokens("，。、；：“”（）《》 \t\n!?-/…").is_empty());
    for t in tokens("《〈联合国打击跨国有组织犯罪公约〉关于预防、禁止和惩治贩运人口》")
    {
        assert!(t.text.chars().all(char::is_alphanumeric), "{t:?}");
    }
}

#[test]
fn compounds_also_give_their_parts_at_the_same_position() {
    let t = tokens("保障宗教自由是原则");
    let got: Vec<(&str, usize, &str)> = t
        .iter()
        .map(|t| {
            (
                t.text.as_str(),
                t.position,
                &"保障宗教自由是原则"[t.start..t.end],
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("保障", 0, "保障"),
            ("宗教自由", 1, "宗教自由"),
            ("宗教", 1, "宗教"),
            ("自由", 1, "自由"),
            ("是", 2, "是"),
            ("原则", 3, "原则"),
        ]
    );
}

#[test]
fn positions_are_consecutive() {
    let t = tokens("美国承诺打击 human trafficking 2021");
    let positions: Vec<usize> = t.iter().map(|t| t.position).collect();
    assert_eq!(positions, (0..t.len()).collect::<Vec<_>>());
}

/// Text drawn from the characters that stress the offset map: traditional and full-width
/// forms, combining marks, expanding compatibility characters, ASCII, emoji.
fn stress_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "國", "際", "勞", "工", "組", "織", "人口", "贩运", "販運", "１", "５", "Ａ", "ｂ", "a",
        "B", "7", " ", "，", "。", "e\u{301}", "\u{301}", "㈱", "ﬁ", "Ⅻ", "😀", "-", "/", "2 800",
        "’s", "\u{3000}", "İ", "ß", "\t", "\u{fb01}", "①", "Côte", "d’", "O'", "Ivoire", "SDGs",
        "–", "—", "ø",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn offsets_slice_the_original_text(text in any::<String>()) {
        for t in tokens(&text) {
            prop_assert!(t.start < t.end, "empty token {t:?}");
            prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            prop_assert!(!t.text.is_empty());
            prop_assert!(!text[t.start..t.end].trim().is_empty());
        }
    }

    #[test]
    fn offsets_are_exact_on_stressful_text(text in stress_text()) {
        let t = tokens(&text);
        let mut last: Option<&AnalyzedToken> = None;
        for t in &t {
            prop_assert!(t.start < t.end && t.end <= text.len());
            prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            match last {
                // A compound's parts share its position and lie inside it.
                Some(l) if l.position == t.position => {
                    prop_assert!(t.start >= l.start && t.end <= l.end.max(t.end), "{t:?}");
                }
                Some(l) => {
                    prop_assert!(t.position > l.position, "positions go backwards: {t:?}");
                    prop_assert!(t.start >= l.end || t.start >= l.start, "tokens go backwards: {t:?}");
                }
                None => {}
            }
            if last.is_none_or(|l| l.position != t.position) {
                last = Some(t);
            }
            // The source text of a token folds back to (a prefix of the stem of) its term.
            let source = &text[t.start..t.end];
            prop_assert!(!source.trim().is_empty());
        }
    }

    #[test]
    fn traditional_and_full_width_analyse_like_their_folded_forms(text in stress_text()) {
        let folded = zhen::analysis::Folded::new(&text);
        // Only the capitals of a plural acronym, which folding lowers, make a difference:
        // `SDGs` gives the acronym's term before the word's, over the same text.
        let tokens = tokens(&text);
        let mut as_folded = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            let acronym = tokens.get(i + 1).is_some_and(|next| {
                (next.position, next.start, next.end) == (t.position, t.start, t.end)
            });
            if !acronym {
                as_folded.push(t.text.clone());
            }
        }
        prop_assert_eq!(as_folded, terms(folded.text()));
    }
}

/// (position, term, source text) triples of an analyzer's output.
fn positioned(
    analyzer: &mut tantivy::tokenizer::TextAnalyzer,
    text: &str,
) -> Vec<(usize, String, String)> {
    analyze(analyzer, text)
        .into_iter()
        .map(|t| (t.position, t.text, text[t.start..t.end].to_owned()))
        .collect()
}

#[test]
fn the_gram_field_keeps_bigrams_and_characters_only_at_run_edges_with_gaps_around_runs() {
    let got = positioned(
        &mut zhen::analysis::edge_ngram_analyzer(),
        "國際勞工 2020年，人",
    );
    let expected: Vec<(usize, String, String)> = [
        (0, "国", "國"),
        (0, "国际", "國際"),
        (1, "际劳", "際勞"),
        (2, "劳工", "勞工"),
        (3, "工", "工"),
        // A position is left free around every Han run.
        (5, "2020", "2020"),
        (7, "年", "年"),
        (9, "人", "人"),
    ]
    .iter()
    .map(|(p, t, s)| (*p, t.to_string(), s.to_string()))
    .collect();
    assert_eq!(got, expected);
}

#[test]
fn the_character_field_has_each_han_character_once() {
    let got: Vec<String> = analyze(
        &mut zhen::analysis::chars_analyzer(),
        "人口贩运 ILO 人權、人权 2020",
    )
    .into_iter()
    .map(|t| t.text)
    .collect();
    assert_eq!(got, ["人", "口", "贩", "运", "权"]);
}
