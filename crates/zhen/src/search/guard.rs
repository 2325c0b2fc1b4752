//! A wrapper for excluded clauses that keeps tantivy from asking a scorer about documents
//! it has already passed.
//!
//! tantivy 0.27's `Exclude` asks its excluded scorer about each candidate in turn, whatever
//! the scorer answered before; but a phrase scorer may already stand beyond the candidate
//! (its constructor moves to its first match, and a failed `seek_danger` may leave it on a
//! later document, the lower bound it returns), and `PhraseScorer::seek_danger` asserts (in
//! debug builds) that it is never asked about an earlier document. The answer is known
//! without asking: nothing before that lower bound matches. Queries like
//! `人口贩运 -理事会` (the exclusion is a phrase of bigrams) hit this.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term, TERMINATED};

/// `query`, answering requests about documents before its current one itself.
#[derive(Debug)]
pub(crate) struct ForwardOnly(pub Box<dyn Query>);

impl Clone for ForwardOnly {
    fn clone(&self) -> Self {
        ForwardOnly(self.0.box_clone())
    }
}

impl Query for ForwardOnly {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ForwardOnlyWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ForwardOnlyWeight(Box<dyn Weight>);

impl Weight for ForwardOnlyWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ForwardOnlyScorer::new(
            self.0.scorer(reader, boost)?,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct ForwardOnlyScorer {
    inner: Box<dyn Scorer>,
    /// No document before this one matches: `inner`'s current document, or the lower bound
    /// of its last failed `seek_danger`.
    next: DocId,
    /// Whether `next` is a match `inner` stands on (rather than only a bound).
    on_match: bool,
}

impl ForwardOnlyScorer {
    fn new(inner: Box<dyn Scorer>) -> ForwardOnlyScorer {
        let next = inner.doc();
        ForwardOnlyScorer {
            inner,
            next,
            on_match: true,
        }
    }
}

impl DocSet for ForwardOnlyScorer {
    fn advance(&mut self) -> DocId {
        if !self.on_match {
            return self.seek(self.next);
        }
        self.next = self.inner.advance();
        self.next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.on_match && target <= self.next {
            return self.next;
        }
        if self.on_match {
            self.next = self.inner.seek(target);
            return self.next;
        }
        // After a failed `seek_danger` tantivy allows only `seek_danger` until one succeeds.
        let mut candidate = target.max(self.next);
        while candidate != TERMINATED {
            match self.inner.seek_danger(candidate) {
                SeekDangerResult::Found => break,
                SeekDangerResult::SeekLowerBound(bound) => candidate = bound,
            }
        }
        self.next = candidate;
        self.on_match = true;
        candidate
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target < self.next {
            return SeekDangerResult::SeekLowerBound(self.next);
        }
        if target == self.next && self.on_match {
            return SeekDangerResult::Found;
        }
        match self.inner.seek_danger(target) {
            SeekDangerResult::Found => {
                self.next = target;
                self.on_match = true;
                SeekDangerResult::Found
            }
            SeekDangerResult::SeekLowerBound(bound) => {
                self.next = bound;
                self.on_match = false;
                SeekDangerResult::SeekLowerBound(bound)
            }
        }
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for ForwardOnlyScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}
