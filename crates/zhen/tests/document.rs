//! The document model on the shipped UN document.

use zhen::document::{parse, BlockKind, Paragraph};

const SHIPPED: &str = include_str!("../../../index-data/us-hrc-pledges-2021.zh.txt");

fn shipped() -> Vec<Paragraph> {
    parse("us-hrc-pledges-2021.zh", SHIPPED)
}

fn numbered(paragraphs: &[Paragraph], n: u32) -> &Paragraph {
    paragraphs
        .iter()
        .find(|p| p.number == Some(n))
        .unwrap_or_else(|| panic!("paragraph {n} missing"))
}

fn of_kind(paragraphs: &[Paragraph], kind: BlockKind) -> Vec<&Paragraph> {
    paragraphs.iter().filter(|p| p.kind == kind).collect()
}

#[test]
fn thirty_four_numbered_paragraphs_in_order() {
    let p = shipped();
    let numbers: Vec<u32> = p.iter().filter_map(|p| p.number).collect();
    assert_eq!(numbers, (1..=34).collect::<Vec<_>>());
    for p in p.iter().filter(|p| p.number.is_some()) {
        assert_eq!(p.kind, BlockKind::Paragraph);
        assert!(
            !p.text.starts_with(char::is_numeric),
            "number left in text: {}",
            p.text
        );
    }
}

#[test]
fn metadata_session_agenda_and_titles() {
    let p = shipped();
    let metadata = of_kind(&p, BlockKind::Metadata);
    assert_eq!(metadata.len(), 1);
    assert_eq!(
        metadata[0].text,
        "Distr.: General\n27 September 2021\nChinese\nOriginal: English"
    );
    assert_eq!(metadata[0].line, 5);
    let session = of_kind(&p, BlockKind::Session);
    assert_eq!(session.len(), 1);
    assert_eq!(session[0].text, "第七十六届会议");
    let agenda = of_kind(&p, BlockKind::Agenda);
    assert_eq!(agenda.len(), 1);
    assert_eq!(agenda[0].text, "议程项目 116(d)");
    let titles: Vec<&str> = of_kind(&p, BlockKind::Title)
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "选举各附属机构成员以补空缺，并进行其他选举：选举人权理事会成员",
            "2021年9月27日美国常驻联合国代表团给大会主席的普通照会",
            "2021年9月27日美国常驻联合国代表团给大会主席的普通照会的附件",
            "美利坚合众国参选人权理事会 2022-2024 年任期成员",
            "根据大会第 60/251 号决议作出的自愿许诺和承诺",
            "美利坚合众国的许诺和承诺",
        ]
    );
}

#[test]
fn two_unnumbered_paragraphs_of_the_note_verbale() {
    let p = shipped();
    let unnumbered: Vec<&Paragraph> = p
        .iter()
        .filter(|p| p.kind == BlockKind::Paragraph && p.number.is_none())
        .collect();
    assert_eq!(unnumbered.len(), 2);
    assert!(unnumbered[0]
        .text
        .starts_with("美国常驻联合国代表团向大会主席办公室致意"));
    assert!(unnumbered[1].text.contains("第60/251号决议"));
    for u in unnumbered {
        assert_eq!(
            u.section.as_deref(),
            Some("2021年9月27日美国常驻联合国代表团给大会主席的普通照会")
        );
    }
}

#[test]
fn three_headings_and_every_paragraph_under_its_own() {
    let p = shipped();
    let headings: Vec<&str> = of_kind(&p, BlockKind::Heading)
        .iter()
        .map(|h| h.text.as_str())
        .collect();
    assert_eq!(
        headings,
        [
            "承诺在联合国系统内推动和支持人权",
            "承诺在国际上推动人权、基本自由、人的尊严和繁荣",
            "承诺在美国推动人权、基本自由、人的尊严和繁荣",
        ]
    );
    for n in 1..=34 {
        let expected = match n {
            1..=3 => "美利坚合众国的许诺和承诺",
            4..=11 => headings[0],
            12..=24 => headings[1],
            _ => headings[2],
        };
        assert_eq!(
            numbered(&p, n).section.as_deref(),
            Some(expected),
            "paragraph {n}"
        );
    }
}

#[test]
fn page_break_continuations_are_joined_without_space() {
    let p = shipped();
    let p21 = numbered(&p, 21);
    assert!(
        p21.text
            .contains("并鼓励私营部门在全球供应链中加强尽职调查。"),
        "{}",
        p21.text
    );
    assert!(p21.text.ends_with("美国正着手在国内落实采掘业透明度倡议。"));
    let p29 = numbered(&p, 29);
    assert!(
        p29.text.contains("公共卫生问题，必须采取全面对策"),
        "{}",
        p29.text
    );
    // No block starts with the continuation text.
    assert!(!p
        .iter()
        .any(|b| b.text.starts_with("中加强尽职调查") || b.text.starts_with("题，必须")));
}

#[test]
fn block_count_and_ordinals() {
    let p = shipped();
    // 1 metadata + session + agenda + 6 titles + 2 unnumbered + 3 headings + 34 numbered.
    assert_eq!(p.len(), 1 + 1 + 1 + 6 + 2 + 3 + 34);
    for (i, b) in p.iter().enumerate() {
        assert_eq!(b.ordinal as usize, i);
        assert_eq!(b.doc, "us-hrc-pledges-2021.zh");
    }
}
