//! The query parser and the whole search path on any query text, against a small index of
//! bilingual text: a result or a query error, never a panic or an engine error; highlights
//! always slice the hit's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SEARCHER: OnceLock<(tempfile::TempDir, zhen::Searcher)> = OnceLock::new();

fn searcher() -> &'static zhen::Searcher {
    &SEARCHER
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let mut builder = zhen::IndexBuilder::create(dir.path()).unwrap();
            builder
                .add_text(
                    "pledges",
                    "Distr.: General\n\n承诺在国际上推动人权\n\n\
                     17. 美国承诺与國際勞工組織合作，打击强迫劳动和人口贩运（human trafficking）。\n\n\
                     18. 美国承诺促进表达自由，包括线上 and offline，第１５５７号决议，2 800万美元。\n\n\
                     19. The United States supports the rights of women's organizations, 2022-2024.",
                )
                .unwrap();
            builder.commit().unwrap();
            let searcher = zhen::Index::open(dir.path()).unwrap().searcher();
            (dir, searcher)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = zhen::search::parse(query);
    match searcher().search(query, 10) {
        Ok(results) => {
            assert!(parsed.is_ok());
            for hit in &results.hits {
                for h in &hit.highlights {
                    assert!(hit.text.get(h.start..h.end).is_some(), "{h:?} in {:?}", hit.text);
                }
            }
        }
        Err(zhen::Error::QuerySyntax(e)) => assert!(!e.message.is_empty()),
        Err(other) => panic!("{query:?}: {other}"),
    }
});
