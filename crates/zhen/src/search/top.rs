//! The best hits of a query, leaving out the paragraphs another query matches, with
//! tantivy's pruning kept.
//!
//! An exclusion written into the query (`must not`) turns tantivy's scorer into a general
//! one that scores every match: block-max WAND only runs over plain unions and
//! intersections of terms. `合同 -劳动` on prc-laws scored its 4,756 matches to return ten.
//! Here the query runs as it would without the exclusion, pruned, and each hit it offers is
//! checked against the excluded query's matches before it may count: the pruning threshold
//! only rises with hits kept, so the top hits are exactly those of the query with the
//! exclusion.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader};

/// The best `limit` hits by score whose documents `exclude` does not match. Ties go to the
/// earlier document, as with tantivy's `TopDocs`.
pub(crate) struct TopExcluding<'a> {
    pub limit: usize,
    /// A weight built without scoring: only which documents it matches counts.
    pub exclude: &'a dyn Weight,
}

impl Collector for TopExcluding<'_> {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(&self, segment_ord: u32, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            segment_ord,
            limit: self.limit,
            heap: BinaryHeap::with_capacity(self.limit),
            exclude: self.exclude.scorer(reader, 1.0)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let mut top = self.for_segment(segment_ord, reader)?;
        let alive = reader.alive_bitset();
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                top.collect(doc, score);
            }
            top.threshold()
        })?;
        Ok(top.harvest())
    }
}

/// One segment's best hits so far.
pub(crate) struct SegmentTop {
    segment_ord: u32,
    limit: usize,
    /// The worst kept hit on top.
    heap: BinaryHeap<Reverse<Ranked>>,
    exclude: Box<dyn Scorer>,
}

impl SegmentTop {
    /// The score a hit must beat to be kept.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.heap.len() >= self.limit => worst.score,
            _ => Score::MIN,
        }
    }

    /// Whether `exclude` matches `doc`. Documents come in increasing order, so the
    /// excluded scorer only ever moves forward.
    fn excluded(&mut self, doc: DocId) -> bool {
        if self.exclude.doc() < doc {
            self.exclude.seek(doc);
        }
        self.exclude.doc() == doc
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.limit == 0 || (self.heap.len() >= self.limit && score <= self.threshold()) {
            return;
        }
        if self.excluded(doc) {
            return;
        }
        if self.heap.len() >= self.limit {
            self.heap.pop();
        }
        self.heap.push(Reverse(Ranked { score, doc }));
    }

    fn harvest(self) -> Self::Fruit {
        let segment_ord = self.segment_ord;
        self.heap
            .into_iter()
            .map(|Reverse(r)| (r.score, DocAddress::new(segment_ord, r.doc)))
            .collect()
    }
}

/// A hit ordered by score, and among equal scores the earlier document first (greater).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ranked {
    score: Score,
    doc: DocId,
}

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
