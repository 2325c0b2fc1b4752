//! The bigrams a phrase of non-overlapping bigrams spans, and phrases that read them first.
//!
//! A Han sequence is searched as a phrase of bigrams that do not overlap (`合同违约` as
//! `合同`, `违约` two positions on, see `query::gram_sequence`). The gram field indexes every
//! bigram of a Han run, and the phrase's bigrams stand in one run, so wherever the phrase
//! occurs the bigrams between its own occur too (`同违`). Those are often much rarer than
//! the phrase's own: `律责` is in 1,055 of prc-laws' paragraphs, `法律` and `责任` in 19,268
//! and 15,474, and the phrase `"法律责任"` in 1,047. Requiring them beside the phrase rules
//! out most of its candidates by their postings alone, before any position is read.
//!
//! Where they are not rarer, they only add work: `"依法追究刑事责任"`'s spanned bigrams
//! (`法追`, `究刑`, `事责`) are in as many paragraphs as its rarest bigram (`追究`), and
//! requiring them cost 22% more instructions a search. So a spanned bigram is required only
//! in segments where it is in at most half as many paragraphs as the phrase's rarest term.

use tantivy::query::{
    intersect_scorers, ConstScorer, EmptyScorer, EnableScoring, Explanation, PhraseQuery, Query,
    Scorer, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term, TERMINATED};

use super::query::Sequence;

/// The bigrams that a gram sequence of Han bigrams spans without naming them: where two
/// of its bigrams follow each other (`合同`, `违约` two positions on: the text `合同违约`),
/// the one between them (`同违`).
pub(crate) fn spanned_bigrams(seq: &Sequence) -> impl Iterator<Item = String> + '_ {
    let bigram = |t: &str| t.chars().count() == 2 && t.chars().all(crate::analysis::is_han);
    seq.windows(2).filter_map(move |w| {
        let [(p, a), (q, b)] = w else { return None };
        if *q != p + 2 || !bigram(a) || !bigram(b) {
            return None;
        }
        Some(
            [a.chars().next_back()?, b.chars().next()?]
                .into_iter()
                .collect(),
        )
    })
}

/// An exact phrase of the gram field that also requires, where they are rare, the bigrams
/// it spans. Matches, scores and counts are the phrase's.
#[derive(Debug, Clone)]
pub(crate) struct SpannedPhrase {
    pub phrase: PhraseQuery,
    /// The bigrams the phrase spans, as terms of its field.
    pub spanned: Vec<Term>,
}

impl Query for SpannedPhrase {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let mut terms = self.phrase.phrase_terms();
        let own = terms.len();
        terms.extend(self.spanned.iter().cloned());
        Ok(Box::new(SpannedWeight {
            phrase: self.phrase.weight(enable_scoring)?,
            terms,
            own,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.phrase.query_terms(visitor);
    }
}

/// Whether a spanned bigram in `frequency` paragraphs is worth requiring beside a phrase
/// whose rarest term is in `rarest`.
fn is_rare(frequency: u32, rarest: u32) -> bool {
    frequency.saturating_mul(2) <= rarest
}

struct SpannedWeight {
    phrase: Box<dyn Weight>,
    /// The phrase's terms, then the spanned bigrams.
    terms: Vec<Term>,
    /// How many of `terms` are the phrase's.
    own: usize,
}

impl Weight for SpannedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(field) = self.terms.first().map(Term::field) else {
            return self.phrase.scorer(reader, boost);
        };
        let index = reader.inverted_index(field)?;
        let mut frequencies = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            frequencies.push(index.doc_freq(term)?);
        }
        let (own, spanned) = frequencies.split_at(self.own);
        let rarest = own.iter().copied().min().unwrap_or(0);
        // A phrase occurs only where its spanned bigrams do.
        if rarest == 0 || spanned.contains(&0) {
            return Ok(Box::new(EmptyScorer));
        }
        let mut rare: Vec<Box<dyn Scorer>> = Vec::new();
        for (term, &frequency) in self.terms[self.own..].iter().zip(spanned) {
            if is_rare(frequency, rarest) {
                if let Some(postings) = index.read_postings(term, IndexRecordOption::Basic)? {
                    rare.push(Box::new(ConstScorer::new(postings, 0.0)));
                }
            }
        }
        if rare.is_empty() {
            return self.phrase.scorer(reader, boost);
        }
        let driver = intersect_scorers(rare, reader.max_doc());
        let first = driver.doc();
        if first == TERMINATED {
            return Ok(Box::new(EmptyScorer));
        }
        // Made at the first candidate, not walked to the phrase's first match: that walk
        // reads positions at every paragraph with the phrase's terms.
        let (found, phrase) = self.phrase.scorer_danger(reader, first, boost)?;
        let mut scorer = SpannedScorer {
            driver,
            phrase,
            lower: first,
            doc: first,
        };
        if let SeekDangerResult::SeekLowerBound(lower) = found {
            scorer.lower = lower;
            scorer.doc = scorer.settle();
        }
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.phrase.explain(reader, doc)
    }
}

/// The phrase's matches among the rare spanned bigrams' paragraphs: those paragraphs are
/// walked, and the phrase is asked about each alone (`seek_danger`), never walked itself.
struct SpannedScorer {
    driver: Box<dyn Scorer>,
    phrase: Box<dyn Scorer>,
    /// No match of the phrase lies before this document (its last `seek_danger` answer,
    /// below which it must not be asked again).
    lower: DocId,
    doc: DocId,
}

impl SpannedScorer {
    /// The first match at or after the driver's document.
    fn settle(&mut self) -> DocId {
        let mut candidate = self.driver.doc();
        loop {
            if candidate == TERMINATED {
                return TERMINATED;
            }
            if candidate < self.lower {
                candidate = self.driver.seek(self.lower);
                continue;
            }
            match self.phrase.seek_danger(candidate) {
                SeekDangerResult::Found => return candidate,
                SeekDangerResult::SeekLowerBound(lower) if lower >= TERMINATED => {
                    return TERMINATED
                }
                SeekDangerResult::SeekLowerBound(lower) => self.lower = lower,
            }
        }
    }
}

impl DocSet for SpannedScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.driver.advance();
        self.doc = self.settle();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target <= self.doc {
            return self.doc;
        }
        self.driver.seek(target);
        self.doc = self.settle();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.driver.size_hint()
    }
}

impl Scorer for SpannedScorer {
    fn score(&mut self) -> Score {
        self.phrase.score()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BoostQuery, EnableScoring};

    use super::*;
    use crate::search::query;

    #[test]
    fn spanned_phrases_give_the_phrases_hits_scores_and_counts() {
        let (_dir, searcher) = crate::search::test_corpus::work_reports_searcher();
        let live = searcher.live();
        let tantivy_searcher = live.reader.searcher();
        let mut grams = crate::analysis::ngram_analyzer();
        let mut driven = 0;
        let phrases = [
            "经济发展",
            "改革开放",
            "人民生活水平",
            "社会主义市场经济",
            "国有企业改革",
            "深化改革",
            "农业农村",
            "全面建成小康社会",
            "发展经济",
            "合同违约",
            "依法治国",
            "就业收入",
        ];
        for text in phrases {
            let seq = query::gram_sequence(&crate::analysis::analyze(&mut grams, text));
            let spanned: Vec<Term> = spanned_bigrams(&seq)
                .map(|b| Term::from_field_text(live.fields.grams, &b))
                .collect();
            assert!(!spanned.is_empty(), "{text}");
            let phrase = PhraseQuery::new_with_offset(
                seq.iter()
                    .map(|(p, t)| (*p, Term::from_field_text(live.fields.grams, t)))
                    .collect(),
            );
            let ours = SpannedPhrase {
                phrase: phrase.clone(),
                spanned,
            };
            // Whether some segment reads the phrase only at its rare bigrams' paragraphs.
            let weight = ours
                .weight(EnableScoring::enabled_from_searcher(&tantivy_searcher))
                .unwrap();
            let plain = phrase
                .weight(EnableScoring::enabled_from_searcher(&tantivy_searcher))
                .unwrap();
            for reader in tantivy_searcher.segment_readers() {
                let mut scorer = weight.scorer(reader, 1.0).unwrap();
                if scorer.downcast_mut::<SpannedScorer>().is_some() {
                    driven += 1;
                }
                // Sought as exclusions and optional clauses seek them: the same documents
                // and scores at every step.
                for step in [1, 7, 50] {
                    let mut ours = weight.scorer(reader, 1.0).unwrap();
                    let mut theirs = plain.scorer(reader, 1.0).unwrap();
                    // (Never below the current document, as tantivy's callers do.)
                    let seek = |scorer: &mut Box<dyn Scorer>, target| match scorer.doc() {
                        doc if doc < target => scorer.seek(target),
                        doc => doc,
                    };
                    let mut target = 0;
                    while target < reader.max_doc() {
                        let found = (seek(&mut ours, target), seek(&mut theirs, target));
                        assert_eq!(found.0, found.1, "{text}: seek({target})");
                        if found.0 == TERMINATED {
                            break;
                        }
                        assert_eq!(ours.score(), theirs.score(), "{text} at {}", found.0);
                        target = found.0.max(target) + step;
                    }
                }
            }
            for limit in [1, 10, 100] {
                let search = |q: &dyn Query| {
                    let boosted = BoostQuery::new(q.box_clone(), 0.5);
                    tantivy_searcher
                        .search(
                            &boosted,
                            &(TopDocs::with_limit(limit).order_by_score(), Count),
                        )
                        .unwrap()
                };
                assert_eq!(search(&ours), search(&phrase), "{text}, {limit} hits");
            }
        }
        assert!(
            driven >= 4,
            "{driven} segments read phrases at rare bigrams only"
        );
    }
}
