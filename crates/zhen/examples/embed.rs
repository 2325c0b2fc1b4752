//! Embedding zhen: build an index of a few Chinese and English paragraphs, search it in
//! both languages, show parallel text, then update it in place.
//!
//! Run with `cargo run -p zhen --example embed`.

use zhen::{Index, IndexBuilder, IndexUpdater, Paragraph, SearchOptions};

fn main() -> zhen::Result<()> {
    let dir = std::env::temp_dir().join(format!("zhen-embed-example-{}", std::process::id()));

    // One document per language pair: paragraph 1 in both languages.
    let mut builder = IndexBuilder::create(&dir)?;
    builder.add_paragraphs(
        "pledge-17",
        &[
            Paragraph::new(
                "pledge-17",
                0,
                "美国承诺与國際勞工組織合作，打击强迫劳动和人口贩运。",
            )
            .with_number(1),
            Paragraph::new(
                "pledge-17",
                1,
                "The United States pledges to work with the International Labour Organization \
                 against forced labour and human trafficking.",
            )
            .with_number(1),
        ],
    )?;
    builder.add_text("pledge-18", "1. 美国承诺促进表达自由。")?;
    builder.commit()?;

    let index = Index::open(&dir)?;
    let searcher = index.searcher();
    let mut options = SearchOptions::with_limit(5);
    options.parallel = true;
    for query in ["国际劳工组织", "human trafficking", "表达自由"] {
        let results = searcher.search_with(query, &options)?;
        println!("{query}: {} hit(s)", results.total_hits);
        for hit in &results.hits {
            println!(
                "  {} ¶{:?} [{}] {}",
                hit.doc, hit.paragraph, hit.lang, hit.snippet
            );
            match &hit.parallel {
                Some(Some(p)) => println!("      {}: {}", p.lang, p.text),
                Some(None) => println!("      (no parallel text)"),
                None => {}
            }
        }
    }

    // Replace one document; the searcher sees the commit after a reload.
    let mut update = IndexUpdater::open(&dir)?;
    update.add_text("pledge-18", "1. 美国承诺促进宗教自由。")?;
    let report = update.commit()?;
    searcher.reload()?;
    println!(
        "after the update ({} replaced): 表达自由 {} hit(s), 宗教自由 {} hit(s)",
        report.replaced,
        searcher.search("表达自由", 5)?.total_hits,
        searcher.search("宗教自由", 5)?.total_hits,
    );
    println!("{:?}", index.stats()?);

    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
